import type { RequestSpec } from '../../objects/instance.js'
import type { HostFilter } from './filter.js'
import { maxOf } from './filter.js'

/** The DISK_GB a flavor asks of its host: root + ephemeral (+ swap, in MB, rounded up). */
export function diskGbOf(spec: RequestSpec): number {
  const f = spec.flavor
  return f.root_gb + f.ephemeral_gb + Math.ceil((f.swap ?? 0) / 1024)
}

/**
 * DISK_GB fit, Placement's check for Nova: (local_gb - reserved) × disk_allocation_ratio -
 * claimed must hold root + ephemeral + swap. Always on; the claim re-checks atomically.
 */
export const DiskFilter: HostFilter = {
  name: 'DiskFilter',
  check: ({ spec }) => {
    const need = diskGbOf(spec)
    return {
      passes: (h) => h.diskFreeGb >= need,
      why: (rejected) => `needs ${need} GB, most free is ${maxOf(rejected, (h) => h.diskFreeGb)} GB`,
    }
  },
}
