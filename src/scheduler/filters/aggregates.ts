import type { HostState } from '../host-state.js'

/**
 * Nova's `aggregate_metadata_get_by_host`: every metadata key of the host's aggregates (only
 * aggregates having `key`, if given) → the set of its comma-separated values.
 */
export function aggregateMetadata(host: HostState, key?: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const aggr of host.aggregates) {
    if (key !== undefined && !Object.hasOwn(aggr.metadata, key)) continue
    for (const [k, v] of Object.entries(aggr.metadata)) {
      const values = out.get(k) ?? new Set<string>()
      out.set(k, values)
      for (const x of v.split(',')) values.add(x.trim())
    }
  }
  return out
}

/** Nova's `aggregate_values_from_key`: the raw values of one metadata key over the host's aggregates. */
export function aggregateValues(host: HostState, key: string): Set<string> {
  const out = new Set<string>()
  for (const aggr of host.aggregates) if (Object.hasOwn(aggr.metadata, key)) out.add(aggr.metadata[key]!)
  return out
}

/** The availability zones a host is in: its zone aggregates', else `[DEFAULT] default_availability_zone`. */
export function hostZones(host: HostState, defaultZone: string): Set<string> {
  const zones = aggregateMetadata(host, 'availability_zone').get('availability_zone')
  return zones && zones.size > 0 ? zones : new Set([defaultZone])
}
