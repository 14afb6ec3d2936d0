import type { Db } from '../connect.js'
import { ComputeNodeStore } from './compute-node-store.js'
import { InstanceActionStore } from './instance-action-store.js'
import { InstanceStore } from './instance-store.js'
import type { CellSchema } from './schema.js'
import { ServiceStore } from './service-store.js'

/**
 * Reads and writes of one cell's database, one store per aggregate. Only conductor, scheduler
 * and api hold one, and they find the cell's through the cell router.
 */
export class CellStore {
  readonly instances: InstanceStore
  readonly services: ServiceStore
  readonly nodes: ComputeNodeStore
  /** What happened to each instance, at whose request (`os-instance-actions`). */
  readonly actions: InstanceActionStore

  constructor(readonly db: Db<CellSchema>) {
    this.instances = new InstanceStore(db)
    this.services = new ServiceStore(db)
    this.nodes = new ComputeNodeStore(db)
    this.actions = new InstanceActionStore(db)
  }

  async close(): Promise<void> {
    await this.db.kysely.destroy()
  }
}
