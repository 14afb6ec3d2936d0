import type { HostFilter } from './filter.js'
import { groupWithPolicy, membersPerHost } from './server-group.js'

/**
 * A server group with policy `anti-affinity`: a host may hold fewer than `max_server_per_host`
 * (rule, default 1) of its members. Passes every host while requests carry no group (until the
 * server groups API fills `instance_group`).
 */
export const ServerGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  check: (req) => {
    const group = groupWithPolicy(req, 'anti-affinity')
    if (!group) return undefined
    const rule = group.rules?.max_server_per_host
    const max = rule === undefined ? 1 : Number(rule)
    const perHost = membersPerHost(req, group)
    // A move may stay on the instance's own host (Nova's note on resize to the same host).
    const ownHost = req.instanceHosts.get(req.spec.instance_uuid)
    return {
      passes: (h) => h.host === ownHost || (perHost.get(h.host) ?? 0) < max,
      why: (rejected) => {
        const most = Math.max(...rejected.map((h) => perHost.get(h.host) ?? 0))
        return `server group ${group.uuid} (anti-affinity, max_server_per_host ${max}) already has up to ${most} member(s) on each`
      },
    }
  },
}
