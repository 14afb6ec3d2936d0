import type { HostFilter } from './filter.js'
import { hintList, someOf } from './filter.js'

/** Hint `same_host: [uuid, …]`: only the hosts where one of those instances runs. */
export const SameHostFilter: HostFilter = {
  name: 'SameHostFilter',
  check: ({ spec, instanceHosts }) => {
    const uuids = hintList(spec, 'same_host')
    if (uuids.length === 0) return undefined
    const hosts = new Set(uuids.map((u) => instanceHosts.get(u)).filter((h): h is string => !!h))
    return {
      passes: (h) => hosts.has(h.host),
      why: () =>
        hosts.size === 0
          ? `same_host instance(s) ${someOf(uuids, 2)} run on no host`
          : `must share a host with instance(s) ${someOf(uuids, 2)}, on ${someOf(hosts)}`,
    }
  },
}
