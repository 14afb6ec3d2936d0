/**
 * `npm run bench -- heartbeats --hosts N --interval S`: N simulated compute hosts (fake driver,
 * each with its own `compute.<host>` queue, reporting over RabbitMQ as a real host does) spread
 * over a few processes, one conductor process. Prints reports/s handled, the report round trip
 * seen by a probe host, conductor CPU and RSS, and false downs.
 */
import { randomUUID } from 'node:crypto'
import { ConductorClient } from '../src/conductor/rpcapi.js'
import type { CellSchema } from '../src/db/cell/schema.js'
import { connectDb } from '../src/db/connect.js'
import { Rpc } from '../src/rpc/rpc.js'
import { createTransport } from '../src/rpc/transport-url.js'
import { isServiceUp } from '../src/servicegroup/servicegroup.js'
import { makeContext } from '../src/shared/context.js'
import { createLogger } from '../src/shared/logger.js'
import { createDatabases, type DbKind } from '../test/harness/databases.js'
import { manage, type ServiceProcess, startService, writeConfig } from '../test/harness/processes.js'
import { createVhost } from '../test/harness/rabbit.js'
import { cpuSeconds, percentile, rssMb } from './measure.js'

interface HeartbeatOptions {
  hosts: string
  interval: string
  duration?: string
  processes: string
  db: DbKind
}

const SERVICE_DOWN_TIME = 60

export async function heartbeats(opts: HeartbeatOptions): Promise<void> {
  const hosts = Number(opts.hosts)
  const interval = Number(opts.interval)
  const duration = Number(opts.duration ?? Math.max(30, 3 * interval))
  const processes = Math.max(1, Math.min(Number(opts.processes), hosts))
  const vhost = await createVhost()
  const dbs = createDatabases(opts.db)
  const procs: ServiceProcess[] = []
  const log = createLogger({ name: 'bench' })
  log.level = 'warn'
  const conf = writeConfig({
    DEFAULT: {
      transport_url: vhost.url,
      host: 'controller',
      report_interval: interval,
      service_down_time: SERVICE_DOWN_TIME,
      // Resource reports every minute add ~N/60 calls/s on top of heartbeats, as in a real cloud.
      update_resources_interval: 60,
    },
    database: { connection: dbs.cell },
    api_database: { connection: dbs.api },
  })
  const cell = connectDb<CellSchema>(dbs.cell, { poolSize: 2 })
  const rpc = new Rpc(createTransport(vhost.url, { controlExchange: 'nova', log }), log, 60)
  try {
    await manage([conf], 'api_db', 'sync')
    await manage([conf], 'db', 'sync')
    const conductor = startService('conductor', [conf])
    procs.push(conductor)
    await conductor.waitFor('nova-conductor started')
    const t0 = Date.now()
    const perProcess = Math.ceil(hosts / processes)
    for (let p = 0; p < processes; p++) {
      const count = Math.min(perProcess, hosts - p * perProcess)
      const sim = startService('compute', [conf, writeConfig({ DEFAULT: { host: `sim${p}` } })], {
        args: ['--fake-hosts', String(count)],
      })
      procs.push(sim)
    }
    for (const sim of procs.slice(1)) await sim.waitFor('nova-compute started all hosts', 600_000)
    console.log(`${hosts} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s over ${processes} processes`)

    // A probe host of our own: its heartbeat round trip is what every host sees.
    const conductorClient = new ConductorClient(rpc)
    const ctx = makeContext({ isAdmin: true })
    const probe = await conductorClient.serviceGetOrCreate(ctx, {
      host: `probe-${randomUUID().slice(0, 8)}`,
      binary: 'nova-compute',
      topic: 'compute',
      version: 64,
    })
    const roundTrips: number[] = []
    let probing = true
    const prober = (async () => {
      while (probing) {
        const s = performance.now()
        await conductorClient.serviceReportState(ctx, probe.id)
        roundTrips.push(performance.now() - s)
        await new Promise((r) => setTimeout(r, 100))
      }
    })()

    const reportSum = async () => {
      const row = await cell.kysely
        .selectFrom('services')
        .select((eb) => eb.fn.sum<number>('report_count').as('total'))
        .where('binary', '=', 'nova-compute')
        .executeTakeFirstOrThrow()
      return Number(row.total)
    }
    let falseDowns = 0
    const conductorPid = conductor.child.pid!
    const cpu0 = cpuSeconds(conductorPid)
    const reports0 = await reportSum()
    const start = Date.now()
    let peakConductorRss = 0
    while (Date.now() - start < duration * 1000) {
      await new Promise((r) => setTimeout(r, 1000))
      const services = await cell.kysely
        .selectFrom('services')
        .select(['host', 'last_seen_up', 'created_at', 'forced_down'])
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0)
        .execute()
      const now = Date.now()
      const down = services.filter(
        (s) => !isServiceUp({ ...s, forced_down: Boolean(s.forced_down) }, SERVICE_DOWN_TIME, now),
      )
      falseDowns = Math.max(falseDowns, down.length)
      peakConductorRss = Math.max(peakConductorRss, rssMb(conductorPid))
    }
    const wall = (Date.now() - start) / 1000
    const reports = (await reportSum()) - reports0
    const cpu = cpuSeconds(conductorPid) - cpu0
    probing = false
    await prober
    console.log(`hosts ${hosts}, report_interval ${interval} s, measured ${wall.toFixed(0)} s`)
    console.log(
      `reports handled: ${(reports / wall).toFixed(0)}/s (expected ${(hosts / interval).toFixed(0)}/s)`,
    )
    console.log(
      `report round trip p50 ${percentile(roundTrips, 50).toFixed(1)} ms, p99 ${percentile(roundTrips, 99).toFixed(1)} ms`,
    )
    console.log(`conductor CPU ${((100 * cpu) / wall).toFixed(1)} % of one core, RSS ${peakConductorRss} MB`)
    console.log(`false downs: ${falseDowns} (most services down at any sample)`)
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    await rpc.close().catch(() => undefined)
    await cell.kysely.destroy()
    await vhost.drop().catch(() => undefined)
    await dbs.drop().catch(() => undefined)
  }
}
