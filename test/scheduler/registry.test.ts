/** The filter registry: Nova's default list and order, Placement's part first, unknown names refused. */
import { describe, expect, it } from 'vitest'
import { FILTERS, resolveFilters } from '../../src/scheduler/filters/registry.js'
import { DEFAULT_SCHEDULER_OPTIONS } from '../../src/scheduler/options.js'

describe('enabled_filters', () => {
  it("runs Placement's checks first, then Nova's default filters in order", () => {
    expect(resolveFilters(DEFAULT_SCHEDULER_OPTIONS.enabledFilters).map((f) => f.name)).toEqual([
      'AvailabilityZoneFilter',
      'CoreFilter',
      'RamFilter',
      'DiskFilter',
      'ComputeFilter',
      'ComputeCapabilitiesFilter',
      'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter',
      'ServerGroupAffinityFilter',
    ])
  })

  it('runs a filter named twice, or one Placement already runs, once', () => {
    expect(
      resolveFilters(['RamFilter', 'JsonFilter', 'AvailabilityZoneFilter', 'JsonFilter']).map((f) => f.name),
    ).toEqual(['AvailabilityZoneFilter', 'CoreFilter', 'RamFilter', 'DiskFilter', 'JsonFilter'])
  })

  it('knows every filter issue 5 names', () => {
    for (const name of [
      'ComputeFilter',
      'AvailabilityZoneFilter',
      'ComputeCapabilitiesFilter',
      'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter',
      'ServerGroupAffinityFilter',
      'SameHostFilter',
      'DifferentHostFilter',
      'AggregateInstanceExtraSpecsFilter',
      'AggregateMultiTenancyIsolation',
      'NumInstancesFilter',
      'IoOpsFilter',
      'JsonFilter',
    ]) {
      expect(FILTERS.has(name), name).toBe(true)
    }
  })

  it('refuses an unknown filter at start-up, listing the valid names', () => {
    expect(() => resolveFilters(['ComputeFilter', 'NUMATopologyFilter'])).toThrow(
      /^Unknown filter\(s\) in \[filter_scheduler\] enabled_filters: NUMATopologyFilter\. Valid: ComputeFilter, AvailabilityZoneFilter, .*JsonFilter/,
    )
  })
})
