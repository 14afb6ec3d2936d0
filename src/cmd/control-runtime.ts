import { type Cell, CellRouter } from '../cells/cell-router.js'
import { ComputeClient } from '../compute/rpcapi.js'
import { ApiStore } from '../db/api/api-store.js'
import type { ApiSchema } from '../db/api/schema.js'
import { CellStore } from '../db/cell/cell-store.js'
import type { CellSchema } from '../db/cell/schema.js'
import { connectDb } from '../db/connect.js'
import { type CellMapping, isCell0 } from '../objects/cell-mapping.js'
import { Rpc } from '../rpc/rpc.js'
import { createTransport } from '../rpc/transport-url.js'
import { Runtime, rabbitSsl, redact } from './runtime.js'

/**
 * The runtime of processes that hold state (api, conductor, scheduler, identity, image, and the
 * all-in-one): a Runtime plus the API database and the cell router, each opened on first use.
 * Cell databases and buses are opened once per URL, however many cells share one.
 */
export class ControlRuntime extends Runtime {
  private apiStoreInstance: ApiStore | undefined
  private router: CellRouter | undefined
  private readonly cellStores = new Map<string, CellStore>()
  private readonly cellBuses = new Map<string, Rpc>()

  apiStore(): ApiStore {
    if (!this.apiStoreInstance) {
      const store = new ApiStore(connectDb<ApiSchema>(this.config.api_database.connection))
      this.apiStoreInstance = store
      this.onClose(() => store.close())
    }
    return this.apiStoreInstance
  }

  /** Where each cell's data and hosts are. */
  cells(): CellRouter {
    this.router ??= new CellRouter(
      this.apiStore(),
      (mapping) => this.openCell(mapping),
      this.config.database.connection,
    )
    return this.router
  }

  /** The cell this process's `[database] connection` belongs to, as mapped by `db sync`. */
  async localCell(): Promise<Cell> {
    try {
      return await this.cells().local()
    } catch {
      throw new Error(
        `No cell is mapped to [database] connection ${redact(this.config.database.connection)}: run 'tsnova-manage db sync'`,
      )
    }
  }

  private openCell(mapping: CellMapping): Cell {
    const url = mapping.database_connection
    let store = this.cellStores.get(url)
    if (!store) {
      const opened = new CellStore(connectDb<CellSchema>(url))
      store = opened
      this.cellStores.set(url, opened)
      this.onClose(() => opened.close())
    }
    // The bus is opened when something is first sent: reading a cell needs none.
    let compute: ComputeClient | undefined
    const busOf = (m: CellMapping) => this.busOf(m)
    return {
      mapping,
      store,
      get compute() {
        compute ??= new ComputeClient(busOf(mapping))
        return compute
      },
    }
  }

  /**
   * The cell's message bus: this process's own when the URL is the same. cell0 has no hosts and
   * no bus (`none:///`): nothing is ever sent to it, so it gets this process's.
   */
  private busOf(mapping: CellMapping): Rpc {
    const url = mapping.transport_url
    if (isCell0(mapping) || url === this.config.transport_url) return this.rpc()
    let rpc = this.cellBuses.get(url)
    if (!rpc) {
      const log = this.log.child({ component: 'rpc', cell: mapping.name ?? mapping.uuid })
      const transport = createTransport(url, {
        controlExchange: this.config.control_exchange,
        log,
        durableQueues: this.config.oslo_messaging_rabbit.amqp_durable_queues,
        ssl: rabbitSsl(this.config),
      })
      const opened = new Rpc(transport, log, this.config.rpc_response_timeout)
      rpc = opened
      this.cellBuses.set(url, opened)
      this.onClose(() => opened.close())
    }
    return rpc
  }
}
