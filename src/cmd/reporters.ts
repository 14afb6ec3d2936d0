import type { CellStore } from '../db/cell/cell-store.js'
import { SERVICE_VERSION, type ServiceReporter } from '../service/service.js'

/** Services holding the cell database report their heartbeat straight into it. */
export function directReporter(
  cell: CellStore,
  host: string,
  binary: string,
  topic: string,
): ServiceReporter {
  return {
    register: async () =>
      (await cell.services.getOrCreate({ host, binary, topic, version: SERVICE_VERSION })).id,
    report: async (id) => {
      await cell.services.reportStates([id])
    },
  }
}
