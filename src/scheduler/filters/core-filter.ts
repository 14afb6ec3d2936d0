import type { HostFilter } from './filter.js'
import { maxOf } from './filter.js'

/**
 * VCPU fit, Placement's check for Nova: (vcpus - reserved) × cpu_allocation_ratio - claimed must
 * hold the flavor's vCPUs. Always on; the claim re-checks atomically in the database.
 */
export const CoreFilter: HostFilter = {
  name: 'CoreFilter',
  check: ({ spec }) => {
    const need = spec.flavor.vcpus
    return {
      passes: (h) => h.vcpusFree >= need,
      why: (rejected) => `needs ${need} VCPU, most free is ${maxOf(rejected, (h) => h.vcpusFree)}`,
    }
  },
}
