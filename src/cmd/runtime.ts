import type { Config } from '../config/config.js'
import { ApiStore, type CellMapping } from '../db/api/api-store.js'
import type { ApiSchema } from '../db/api/schema.js'
import { CellStore } from '../db/cell/cell-store.js'
import type { CellSchema } from '../db/cell/schema.js'
import { connectDb } from '../db/connect.js'
import { Rpc } from '../rpc/rpc.js'
import { createTransport } from '../rpc/transport-url.js'
import { type Clock, systemClock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'

/**
 * What the services of one process share: one RPC transport (so one reply queue per process, as
 * in oslo.messaging), one pool per database, and the clock their heartbeats and periodic tasks
 * keep. Everything is opened on first use.
 */
export class Runtime {
  private rpcInstance: Rpc | undefined
  private apiStoreInstance: ApiStore | undefined
  private cellStoreInstance: CellStore | undefined
  private readonly closers: (() => Promise<void>)[] = []

  /** The system clock unless a test gives its ManualClock (see also setTimestampClock). */
  readonly clock: Clock

  constructor(
    readonly config: Config,
    readonly log: Logger,
    options: { readonly clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock
  }

  rpc(): Rpc {
    if (!this.rpcInstance) {
      const transport = createTransport(this.config.transport_url, {
        controlExchange: this.config.control_exchange,
        log: this.log.child({ component: 'rpc' }),
        durableQueues: this.config.oslo_messaging_rabbit.amqp_durable_queues,
      })
      this.rpcInstance = new Rpc(
        transport,
        this.log.child({ component: 'rpc' }),
        this.config.rpc_response_timeout,
      )
      const rpc = this.rpcInstance
      this.closers.push(() => rpc.close())
    }
    return this.rpcInstance
  }

  apiStore(): ApiStore {
    if (!this.apiStoreInstance) {
      const store = new ApiStore(connectDb<ApiSchema>(this.config.api_database.connection))
      this.apiStoreInstance = store
      this.closers.push(() => store.close())
    }
    return this.apiStoreInstance
  }

  cellStore(): CellStore {
    if (!this.cellStoreInstance) {
      const store = new CellStore(connectDb<CellSchema>(this.config.database.connection))
      this.cellStoreInstance = store
      this.closers.push(() => store.close())
    }
    return this.cellStoreInstance
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

  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn)
  }

  /** Close in reverse order of opening: services first, then RPC, then databases. */
  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((err: unknown) => this.log.warn({ err }, 'error while closing'))
    }
  }
}

/** A URL with its password hidden, for logs and messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@')
}
