import type { HostState } from '../host-state.js'
import {
  type IpAddress,
  type IpNetwork,
  networkContains,
  networkText,
  parseIpAddress,
  parseIpNetwork,
} from '../ip-network.js'
import type { HostCheck, HostFilter } from './filter.js'
import { brief, hintValue, someOf } from './filter.js'

/** Nova's default for the `cidr` hint. */
const DEFAULT_CIDR = '/24'

/**
 * Hints `build_near_host_ip` and `cidr` (default `/24`): only hosts whose `host_ip` (`[DEFAULT]
 * my_ip` of their compute) is in the network `build_near_host_ip + cidr`, IPv4 or IPv6.
 * Where Nova's filter raises (a network netaddr cannot read, a host without an address), the
 * host fails instead, so the request ends in no valid host and the fault says why.
 */
export const SimpleCIDRAffinityFilter: HostFilter = {
  name: 'SimpleCIDRAffinityFilter',
  check: ({ spec }) => {
    const near = hintValue(spec, 'build_near_host_ip')
    if (isPythonFalsy(near)) return undefined
    const cidr = Object.hasOwn(spec.scheduler_hints, 'cidr') ? hintValue(spec, 'cidr') : DEFAULT_CIDR
    // Nova joins the two strings and reads the result as one network.
    const network =
      typeof near === 'string' && typeof cidr === 'string' ? parseIpNetwork(near + cidr) : undefined
    return network ? nearCheck(network) : invalidNetwork(near, cidr)
  },
}

/** Hosts whose address is in the network; addresses parsed once per request. */
function nearCheck(network: IpNetwork): HostCheck {
  const parsed = new Map<string, IpAddress | undefined>()
  const addressOf = (h: HostState): IpAddress | undefined => {
    if (h.host_ip === null) return undefined
    if (!parsed.has(h.host_ip)) parsed.set(h.host_ip, parseIpAddress(h.host_ip))
    return parsed.get(h.host_ip)
  }
  return {
    passes: (h) => {
      const ip = addressOf(h)
      return ip !== undefined && networkContains(network, ip)
    },
    why: (rejected) => {
      const unknown = rejected.filter((h) => addressOf(h) === undefined)
      // Sorted, so the fault reads the same whatever order the hosts come in.
      const outside = rejected
        .filter((h) => addressOf(h) !== undefined)
        .map((h) => h.host_ip!)
        .sort()
      const parts: string[] = []
      if (outside.length > 0) parts.push(`host_ip ${someOf(outside)} not in ${networkText(network)}`)
      if (unknown.length > 0) parts.push(`${unknown.length} with no valid host_ip`)
      return parts.join(', ')
    },
  }
}

/** A network that cannot be read: no host is near it. */
function invalidNetwork(near: unknown, cidr: unknown): HostCheck {
  const text = (v: unknown) => brief(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)))
  return {
    passes: () => false,
    why: () => `build_near_host_ip ${text(near)} with cidr ${text(cidr)} is not a valid IP network`,
  }
}

/** Python's truth test, as Nova's `if affinity_host_addr:` applies it to the hint. */
function isPythonFalsy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  return typeof v === 'object' && Object.keys(v).length === 0
}
