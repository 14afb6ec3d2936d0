import { groupWithPolicy, membersPerHost } from '../filters/server-group.js'
import type { HostWeigher } from './weigher.js'

/** Group `soft-affinity`: hosts with more of the group's members weigh more. */
export const ServerGroupSoftAffinityWeigher: HostWeigher = {
  name: 'ServerGroupSoftAffinityWeigher',
  path: 'affinity.ServerGroupSoftAffinityWeigher',
  multiplierOption: 'soft_affinity_weight_multiplier',
  multiplier: (o) => o.softAffinityWeightMultiplier,
  scores: (hosts, req, out) => {
    const group = groupWithPolicy(req, 'soft-affinity')
    if (!group) return false
    const perHost = membersPerHost(req, group)
    for (let i = 0; i < hosts.length; i++) out[i] = perHost.get(hosts[i]!.host) ?? 0
    return true
  },
}

/** Group `soft-anti-affinity`: hosts with more of the group's members weigh less. */
export const ServerGroupSoftAntiAffinityWeigher: HostWeigher = {
  name: 'ServerGroupSoftAntiAffinityWeigher',
  path: 'affinity.ServerGroupSoftAntiAffinityWeigher',
  multiplierOption: 'soft_anti_affinity_weight_multiplier',
  multiplier: (o) => o.softAntiAffinityWeightMultiplier,
  scores: (hosts, req, out) => {
    const group = groupWithPolicy(req, 'soft-anti-affinity')
    if (!group) return false
    const perHost = membersPerHost(req, group)
    for (let i = 0; i < hosts.length; i++) out[i] = -(perHost.get(hosts[i]!.host) ?? 0)
    return true
  },
}
