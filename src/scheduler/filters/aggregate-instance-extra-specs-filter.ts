import { aggregateMetadata } from './aggregates.js'
import { matchExtraSpec } from './extra-specs-ops.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

const SCOPE = 'aggregate_instance_extra_specs'

/**
 * Flavor extra specs (unscoped, or `aggregate_instance_extra_specs:` scoped) must match the
 * metadata of one of the host's aggregates. As in Nova, a host in no aggregate fails any such
 * spec; a flavor without extra specs passes everywhere.
 */
export const AggregateInstanceExtraSpecsFilter: HostFilter = {
  name: 'AggregateInstanceExtraSpecsFilter',
  check: ({ spec }) => {
    const reqs: [string, string][] = []
    for (const [key, req] of Object.entries(spec.flavor.extra_specs ?? {})) {
      const i = key.indexOf(':')
      if (i < 0) reqs.push([key, req])
      else if (key.slice(0, i) === SCOPE) reqs.push([key.slice(i + 1), req])
    }
    if (reqs.length === 0) return undefined
    const failing = (h: Parameters<typeof aggregateMetadata>[0]): string | undefined => {
      const metadata = aggregateMetadata(h)
      for (const [key, req] of reqs) {
        const values = metadata.get(key)
        if (!values || values.size === 0) return key
        if (![...values].some((v) => matchExtraSpec(v, req))) return key
      }
      return undefined
    }
    return {
      passes: (h) => failing(h) === undefined,
      why: (rejected) =>
        `their aggregates' metadata does not satisfy ${someOf(
          rejected.map((h) => {
            const key = failing(h)!
            return `${key}='${reqs.find(([k]) => k === key)?.[1]}'`
          }),
        )}`,
    }
  },
}
