/**
 * A whole cloud inside the test process: conductor, scheduler, compute hosts and the API, over
 * the in-process bus or a real RabbitMQ vhost, on SQLite, MariaDB or PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import { startApi } from '../../src/cmd/api.js'
import { startCompute } from '../../src/cmd/compute.js'
import { startConductor } from '../../src/cmd/conductor.js'
import { ControlRuntime } from '../../src/cmd/control-runtime.js'
import { imageService } from '../../src/cmd/identity-image.js'
import { apiDbSync, dbSync } from '../../src/cmd/manage.js'
import { startScheduler } from '../../src/cmd/scheduler.js'
import { loadConfig } from '../../src/config/config.js'
import { seedPlaceholderImage } from '../../src/image/placeholder.js'
import { forgetHub, hubFor } from '../../src/rpc/in-process/in-process-transport.js'
import type { Service } from '../../src/service/service.js'
import { type Clock, systemClock } from '../../src/shared/clock.js'
import { createLogger } from '../../src/shared/logger.js'
import { setTimestampClock } from '../../src/shared/time.js'
import { createDatabases, type DbKind } from './databases.js'
import { createVhost } from './rabbit.js'

export type TransportKind = 'memory' | 'amqp'

export interface CloudOptions {
  readonly transport: TransportKind
  readonly db: DbKind
  readonly hosts?: readonly string[]
  readonly config?: Record<string, Record<string, string>>
  /**
   * What the services' heartbeats, periodic tasks and stored timestamps go by: a ManualClock lets
   * a test move time on with `await clock.advance(ms)` instead of waiting. The scheduler and the
   * os-services, os-hypervisors and os-availability-zone views still read the wall clock, so a
   * test that asks them whether a host is up must stay on it (or within service_down_time of it).
   */
  readonly clock?: Clock
}

export interface Cloud {
  readonly url: string
  readonly transportUrl: string
  readonly dbUrls: { cell: string; api: string }
  readonly runtime: ControlRuntime
  readonly clock: Clock
  /** Each compute host's running Service, by host (stop one to silence its heartbeat). */
  readonly computes: ReadonlyMap<string, Service>
  /** Wait until the in-process bus is idle (no-op over AMQP). */
  settle(): Promise<void>
  stop(): Promise<void>
}

export async function startCloud(options: CloudOptions): Promise<Cloud> {
  const clock = options.clock ?? systemClock
  // Before anything is written, so every timestamp of this cloud is on its clock.
  const restoreTimestampClock = setTimestampClock(clock)
  const dbs = createDatabases(options.db)
  let transportUrl: string
  let dropVhost = async () => {}
  if (options.transport === 'amqp') {
    const vhost = await createVhost()
    transportUrl = vhost.url
    dropVhost = () => vhost.drop()
  } else {
    transportUrl = `memory://test-${randomBytes(5).toString('hex')}`
  }
  const config = loadConfig([], {
    ...options.config,
    // Tests authenticate with noauth2 tokens (`user:project`) unless they ask for keystone.
    api: { auth_strategy: 'noauth2', ...options.config?.api },
    DEFAULT: {
      host: 'controller',
      transport_url: transportUrl,
      report_interval: '1',
      service_down_time: '10',
      state_path: '/tmp',
      ...options.config?.DEFAULT,
    },
    database: { connection: dbs.cell },
    api_database: { connection: dbs.api },
  })
  const log = createLogger({ name: 'test' })
  log.level = process.env.TSNOVA_TEST_LOG ?? 'silent'
  await apiDbSync(config)
  await dbSync(config)
  const rt = new ControlRuntime(config, log, { clock })
  // The image the tests boot from (the all-in-one's placeholder).
  await seedPlaceholderImage(imageService(rt), null)
  await startConductor(rt)
  await startScheduler(rt)
  const computes = new Map<string, Service>()
  for (const host of options.hosts ?? ['compute1']) computes.set(host, await startCompute(rt, { host }))
  const api = await startApi(rt, { host: '127.0.0.1', port: 0 })
  return {
    url: api.url,
    transportUrl,
    dbUrls: dbs,
    runtime: rt,
    clock,
    computes,
    settle: async () => {
      if (options.transport === 'memory') await hubFor(transportUrl).settle()
    },
    stop: async () => {
      await rt.close()
      if (options.transport === 'memory') forgetHub(transportUrl)
      await dropVhost()
      await dbs.drop()
      restoreTimestampClock()
    },
  }
}
