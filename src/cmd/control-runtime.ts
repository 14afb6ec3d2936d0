import { ApiStore } from '../db/api/api-store.js'
import type { ApiSchema } from '../db/api/schema.js'
import { CellStore } from '../db/cell/cell-store.js'
import type { CellSchema } from '../db/cell/schema.js'
import { connectDb } from '../db/connect.js'
import type { CellMapping } from '../objects/cell-mapping.js'
import { type UpgradeLevelService, upgradeLevelCap, type VersionCapSource } from '../rpc/version-cap.js'
import { AutoComputeVersionCap, type ServiceVersions } from '../service/versions.js'
import { Runtime, redact } from './runtime.js'

/**
 * The runtime of processes that hold state (api, conductor, scheduler, identity, image, and the
 * all-in-one): a Runtime plus one pool per database, each opened on first use.
 */
export class ControlRuntime extends Runtime {
  private apiStoreInstance: ApiStore | undefined
  private cellStoreInstance: CellStore | undefined
  private computeCapInstance: VersionCapSource | undefined

  apiStore(): ApiStore {
    if (!this.apiStoreInstance) {
      const store = new ApiStore(connectDb<ApiSchema>(this.config.api_database.connection))
      this.apiStoreInstance = store
      this.onClose(() => store.close())
    }
    return this.apiStoreInstance
  }

  cellStore(): CellStore {
    if (!this.cellStoreInstance) {
      const store = new CellStore(connectDb<CellSchema>(this.config.database.connection))
      this.cellStoreInstance = store
      this.onClose(() => store.close())
    }
    return this.cellStoreInstance
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
   * Nova's `get_minimum_version_all_cells(['nova-compute'])`, over this process's cell for now:
   * the one place to point at every cell. Forced-down services do not hold the cap back (Nova's
   * `service_get_minimum_version` skips them too); deleted ones are not listed.
   */
  serviceVersions(): ServiceVersions {
    return {
      minimumComputeVersion: async () => {
        const computes = await this.cellStore().services.list({ binary: 'nova-compute' })
        const versions = computes.filter((s) => !s.forced_down).map((s) => s.version)
        return versions.length === 0 ? undefined : Math.min(...versions)
      },
    }
  }

  /** The cell this process's `[database] connection` belongs to, as mapped by `db sync`. */
  async cellMapping(): Promise<CellMapping> {
    const cells = await this.apiStore().listCells()
    const cell = cells.find((c) => c.database_connection === this.config.database.connection)
    if (!cell) {
      throw new Error(
        `No cell is mapped to [database] connection ${redact(this.config.database.connection)}: run 'tsnova-manage db sync'`,
      )
    }
    return cell
  }
}
