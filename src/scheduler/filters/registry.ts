import { AggregateImagePropertiesIsolation } from './aggregate-image-properties-isolation.js'
import { AggregateInstanceExtraSpecsFilter } from './aggregate-instance-extra-specs-filter.js'
import { AggregateMultiTenancyIsolation } from './aggregate-multitenancy-isolation.js'
import { AvailabilityZoneFilter } from './availability-zone-filter.js'
import { ComputeCapabilitiesFilter } from './compute-capabilities-filter.js'
import { ComputeFilter } from './compute-filter.js'
import { CoreFilter } from './core-filter.js'
import { DifferentHostFilter } from './different-host-filter.js'
import { DiskFilter } from './disk-filter.js'
import type { HostFilter } from './filter.js'
import { ImagePropertiesFilter } from './image-properties-filter.js'
import { IoOpsFilter } from './io-ops-filter.js'
import { JsonFilter } from './json-filter.js'
import { NumInstancesFilter } from './num-instances-filter.js'
import { RamFilter } from './ram-filter.js'
import { SameHostFilter } from './same-host-filter.js'
import { ServerGroupAffinityFilter } from './server-group-affinity-filter.js'
import { ServerGroupAntiAffinityFilter } from './server-group-anti-affinity-filter.js'
import { SimpleCIDRAffinityFilter } from './simple-cidr-affinity-filter.js'

/**
 * What Placement does for Nova before any filter runs, so always on and first: the requested
 * availability zone (`map_az_to_placement_aggregate`) and the VCPU / MEMORY_MB / DISK_GB fit.
 */
export const PLACEMENT_FILTERS: readonly HostFilter[] = [
  AvailabilityZoneFilter,
  CoreFilter,
  RamFilter,
  DiskFilter,
]

/** Every filter `[filter_scheduler] enabled_filters` may name. */
export const FILTERS: ReadonlyMap<string, HostFilter> = new Map(
  [
    ComputeFilter,
    AvailabilityZoneFilter,
    ComputeCapabilitiesFilter,
    ImagePropertiesFilter,
    ServerGroupAntiAffinityFilter,
    ServerGroupAffinityFilter,
    SameHostFilter,
    DifferentHostFilter,
    SimpleCIDRAffinityFilter,
    AggregateInstanceExtraSpecsFilter,
    AggregateMultiTenancyIsolation,
    AggregateImagePropertiesIsolation,
    NumInstancesFilter,
    IoOpsFilter,
    JsonFilter,
    // Nova removed these (Placement checks resources); accepted so old configs keep working.
    CoreFilter,
    RamFilter,
    DiskFilter,
  ].map((f) => [f.name, f]),
)

/**
 * The filters a scheduler runs, in order: Placement's part, then `enabled_filters` in the order
 * given (a name listed twice, or already in Placement's part, runs once). An unknown name is a
 * configuration error, raised at start-up with the valid names.
 */
export function resolveFilters(enabled: readonly string[]): HostFilter[] {
  const unknown = enabled.filter((name) => !FILTERS.has(name))
  if (unknown.length > 0) {
    throw new Error(
      `Unknown filter(s) in [filter_scheduler] enabled_filters: ${unknown.join(', ')}. Valid: ${[...FILTERS.keys()].join(', ')}`,
    )
  }
  const out = [...PLACEMENT_FILTERS]
  for (const name of enabled) {
    const f = FILTERS.get(name)!
    if (!out.includes(f)) out.push(f)
  }
  return out
}
