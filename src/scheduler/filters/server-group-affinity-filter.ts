import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'
import { groupHosts, groupWithPolicy } from './server-group.js'

/**
 * A server group with policy `affinity`: once a member runs somewhere, only that host. Passes
 * every host while requests carry no group (until the server groups API fills `instance_group`).
 */
export const ServerGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  check: (req) => {
    const group = groupWithPolicy(req, 'affinity')
    if (!group) return undefined
    const hosts = groupHosts(req, group)
    if (hosts.size === 0) return undefined
    return {
      passes: (h) => hosts.has(h.host),
      why: () => `server group ${group.uuid} (affinity) is on ${someOf(hosts)}`,
    }
  },
}
