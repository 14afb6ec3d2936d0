import type { HostFilter } from './filter.js'

/** Only hosts whose compute service is up and enabled. */
export const ComputeFilter: HostFilter = {
  name: 'ComputeFilter',
  passes: (host) => host.up && !host.disabled,
  why: (hosts) => {
    const down = hosts.filter((h) => !h.up).length
    return `${down} down, ${hosts.length - down} disabled`
  },
}
