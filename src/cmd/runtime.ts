import type { Config } from '../config/config.js'
import type { AmqpSslOptions } from '../rpc/amqp/tls.js'
import { Rpc } from '../rpc/rpc.js'
import { createTransport } from '../rpc/transport-url.js'
import { type UpgradeLevelService, upgradeLevelCap, type VersionCapSource } from '../rpc/version-cap.js'
import { type Clock, systemClock } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'

/**
 * What every service of one process shares: the configuration, the logger, one RPC transport
 * (so one reply queue per process, as in oslo.messaging), the clock its heartbeats and periodic
 * tasks keep, and what to close on exit. It holds no
 * database: a compute host runs on exactly this; services that keep state use ControlRuntime.
 */
export class Runtime {
  private rpcInstance: Rpc | undefined
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
        ssl: rabbitSsl(this.config),
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

  /**
   * `[upgrade_levels] <service>`, the cap of what this process sends to that service. Without a
   * database, `compute = auto` cannot be followed (compute hosts send nothing to computes).
   */
  upgradeLevel(service: UpgradeLevelService): VersionCapSource {
    return upgradeLevelCap(service, this.config.upgrade_levels[service])
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

/** oslo.messaging's `[oslo_messaging_rabbit] ssl*` options, as the transport takes them. */
export function rabbitSsl(config: Config): AmqpSslOptions {
  const r = config.oslo_messaging_rabbit
  return {
    enabled: r.ssl,
    caFile: r.ssl_ca_file || undefined,
    certFile: r.ssl_cert_file || undefined,
    keyFile: r.ssl_key_file || undefined,
    version: r.ssl_version || undefined,
  }
}
