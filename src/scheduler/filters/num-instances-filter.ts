import type { HostFilter } from './filter.js'
import { maxOf } from './filter.js'

/** Hosts already holding `[filter_scheduler] max_instances_per_host` (50) instances are full. */
export const NumInstancesFilter: HostFilter = {
  name: 'NumInstancesFilter',
  check: ({ options }) => {
    const max = options.maxInstancesPerHost
    return {
      passes: (h) => h.num_instances < max,
      why: (rejected) =>
        `max_instances_per_host is ${max}, they hold up to ${maxOf(rejected, (h) => h.num_instances)}`,
    }
  },
}
