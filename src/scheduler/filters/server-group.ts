import type { RequestSpecGroup } from '../../objects/instance.js'
import type { FilterRequest } from './filter.js'

/** The group of the request when its policy is `policy`, else undefined. */
export function groupWithPolicy(req: FilterRequest, policy: string): RequestSpecGroup | undefined {
  const g = req.spec.instance_group
  return g && g.policy === policy ? g : undefined
}

/** How many of the group's members run on each host (members' hosts read before filtering). */
export function membersPerHost(req: FilterRequest, group: RequestSpecGroup): Map<string, number> {
  const counts = new Map<string, number>()
  for (const uuid of new Set(group.members)) {
    const host = req.instanceHosts.get(uuid)
    if (host) counts.set(host, (counts.get(host) ?? 0) + 1)
  }
  return counts
}

/** The hosts the group's members are on: the spec's `hosts`, and the members' hosts. */
export function groupHosts(req: FilterRequest, group: RequestSpecGroup): Set<string> {
  const hosts = new Set(group.hosts ?? [])
  for (const host of membersPerHost(req, group).keys()) hosts.add(host)
  return hosts
}
