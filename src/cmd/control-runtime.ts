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
import { type UpgradeLevelService, upgradeLevelCap, type VersionCapSource } from '../rpc/version-cap.js'
import { AutoComputeVersionCap, type ServiceVersions } from '../service/versions.js'
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
  private computeCapInstance: VersionCapSource | undefined

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

  /** As Runtime's, and `compute = auto` follows the oldest nova-compute (one cache per process). */
  override upgradeLevel(service: UpgradeLevelService): VersionCapSource {
    if (service !== 'compute') return super.upgradeLevel(service)
    this.computeCapInstance ??= upgradeLevelCap(
      'compute',
      this.config.upgrade_levels.compute,
      () =>
        new AutoComputeVersionCap(this.serviceVersions(), this.log.child({ component: 'upgrade_levels' })),
    )
    return this.computeCapInstance
  }

  /**
   * Nova's `get_minimum_version_all_cells(['nova-compute'])`: the oldest nova-compute of every
   * cell. Forced-down services do not hold the cap back (Nova's `service_get_minimum_version`
   * skips them too); deleted ones are not listed.
   */
  serviceVersions(): ServiceVersions {
    return {
      minimumComputeVersion: async () => {
        const cells = await this.cells().withHosts()
        const computes = (
          await Promise.all(cells.map((c) => c.store.services.list({ binary: 'nova-compute' })))
        ).flat()
        const versions = computes.filter((s) => !s.forced_down).map((s) => s.version)
        return versions.length === 0 ? undefined : Math.min(...versions)
      },
    }
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
    const cap = () => this.upgradeLevel('compute')
    return {
      mapping,
      store,
      get compute() {
        compute ??= new ComputeClient(busOf(mapping), cap())
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
