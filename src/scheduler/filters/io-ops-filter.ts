import type { HostFilter } from './filter.js'
import { maxOf } from './filter.js'

/**
 * Hosts busy with `[filter_scheduler] max_io_ops_per_host` (8) or more I/O-heavy operations:
 * instances building, or resizing, migrating, rebuilding, snapshotting, backing up, rescuing,
 * unshelving (Nova's io_workload).
 */
export const IoOpsFilter: HostFilter = {
  name: 'IoOpsFilter',
  check: ({ options }) => {
    const max = options.maxIoOpsPerHost
    return {
      passes: (h) => h.num_io_ops < max,
      why: (rejected) =>
        `max_io_ops_per_host is ${max}, they run up to ${maxOf(rejected, (h) => h.num_io_ops)} I/O-heavy operations`,
    }
  },
}
