import { aggregateMetadata } from './aggregates.js'
import type { HostFilter } from './filter.js'

/**
 * A host in an aggregate with `filter_tenant_id*` metadata takes only those projects; hosts in
 * no such aggregate take anyone (so, until aggregates exist, every host passes).
 */
export const AggregateMultiTenancyIsolation: HostFilter = {
  name: 'AggregateMultiTenancyIsolation',
  check: ({ spec }) => ({
    passes: (h) => {
      if (h.aggregates.length === 0) return true
      const allowed = new Set<string>()
      for (const [key, values] of aggregateMetadata(h)) {
        if (key.startsWith('filter_tenant_id')) for (const v of values) allowed.add(v)
      }
      return allowed.size === 0 || allowed.has(spec.project_id)
    },
    why: () =>
      `they are in aggregates reserved (filter_tenant_id) for other projects than ${spec.project_id}`,
  }),
}
