import type { HostFilter } from './filter.js'
import { maxOf } from './filter.js'

/**
 * MEMORY_MB fit, Placement's check for Nova: (memory_mb - reserved) × ram_allocation_ratio -
 * claimed must hold the flavor's RAM. Always on; the claim re-checks atomically in the database.
 */
export const RamFilter: HostFilter = {
  name: 'RamFilter',
  check: ({ spec }) => {
    const need = spec.flavor.memory_mb
    return {
      passes: (h) => h.ramFreeMb >= need,
      why: (rejected) => `needs ${need} MB, most free is ${maxOf(rejected, (h) => h.ramFreeMb)} MB`,
    }
  },
}
