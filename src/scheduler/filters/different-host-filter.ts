import type { HostFilter } from './filter.js'
import { hintList, someOf } from './filter.js'

/** Hint `different_host: [uuid, …]`: none of the hosts those instances run on. */
export const DifferentHostFilter: HostFilter = {
  name: 'DifferentHostFilter',
  check: ({ spec, instanceHosts }) => {
    const uuids = hintList(spec, 'different_host')
    if (uuids.length === 0) return undefined
    const hosts = new Set(uuids.map((u) => instanceHosts.get(u)).filter((h): h is string => !!h))
    if (hosts.size === 0) return undefined
    return {
      passes: (h) => !hosts.has(h.host),
      why: (rejected) =>
        `different_host instance(s) ${someOf(uuids, 2)} run there (${someOf(rejected.map((h) => h.host))})`,
    }
  },
}
