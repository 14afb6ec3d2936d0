/**
 * `npm run bench -- boot --servers N --hosts H [--transport memory|amqp] [--db sqlite|mysql|postgres]`
 *
 * Boots N servers as fast as 10 concurrent HTTP clients can ask, against H fake hosts, in the
 * all-in-one shape (memory + sqlite: one process) or distributed (amqp: api, conductor,
 * scheduler and H compute processes). Prints servers/s to all-ACTIVE, create-API p50/p99,
 * GET /servers/detail p50/p99, delete time, and peak RSS per process.
 */
import { Command } from 'commander'
import { ComputeClient } from '../test/harness/client.js'
import { createDatabases, type DbKind } from '../test/harness/databases.js'
import { seedTestImage } from '../test/harness/images.js'
import {
  freePort,
  manage,
  type ServiceProcess,
  startService,
  writeConfig,
} from '../test/harness/processes.js'
import { createVhost } from '../test/harness/rabbit.js'
import { heartbeats } from './heartbeats.js'
import { cpuCensus, peakRssMb, percentile } from './measure.js'
import { schedule } from './schedule.js'

interface BootOptions {
  servers: string
  hosts: string
  transport: 'memory' | 'amqp'
  db: DbKind
  concurrency: string
  profile?: string
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!)
    }),
  )
}

async function boot(opts: BootOptions): Promise<void> {
  const n = Number(opts.servers)
  const hosts = Number(opts.hosts)
  const concurrency = Number(opts.concurrency)
  const port = await freePort()
  const procs: ServiceProcess[] = []
  const cleanups: (() => Promise<void>)[] = []
  const dbKind: DbKind = opts.transport === 'memory' && opts.db === undefined ? 'sqlite' : opts.db
  const dbs = createDatabases(dbKind)
  cleanups.push(() => dbs.drop())
  let transportUrl = 'memory://'
  if (opts.transport === 'amqp') {
    const vhost = await createVhost()
    transportUrl = vhost.url
    cleanups.push(() => vhost.drop())
  }
  const conf = writeConfig({
    DEFAULT: { transport_url: transportUrl, host: 'fake-compute', osapi_compute_listen_port: port },
    database: { connection: dbs.cell },
    api_database: { connection: dbs.api },
    // noauth2 tokens (`user:project`); identity and image of the all-in-one on any free port.
    api: { auth_strategy: 'noauth2' },
    identity: { bind_port: 0 },
    image: { bind_port: 0 },
  })
  const started = Date.now()
  // `--profile api,conductor` writes V8 CPU profiles of those services into .bench/profiles.
  const profiled = new Set((opts.profile ?? '').split(',').filter(Boolean))
  const withProfile = (name: string, args: string[] = []) => ({
    args,
    nodeArgs: profiled.has(name) ? ['--cpu-prof', '--cpu-prof-dir=.bench/profiles'] : [],
  })
  try {
    if (opts.transport === 'memory') {
      const aio = startService(
        'all-in-one',
        [conf],
        withProfile('all-in-one', ['--fake-hosts', String(hosts)]),
      )
      procs.push(aio)
      await aio.waitFor('ready in', 60_000)
    } else {
      await manage([conf], 'api_db', 'sync')
      await manage([conf], 'db', 'sync')
      await seedTestImage([conf])
      const control = [
        startService('conductor', [conf], withProfile('conductor')),
        startService('scheduler', [conf], withProfile('scheduler')),
      ]
      procs.push(...control)
      await control[0]!.waitFor('nova-conductor started')
      await control[1]!.waitFor('nova-scheduler started')
      const computes = Array.from({ length: hosts }, (_, i) =>
        startService(
          'compute',
          [conf, writeConfig({ DEFAULT: { host: `fake-compute-${i + 1}` } })],
          withProfile('compute'),
        ),
      )
      procs.push(...computes)
      for (const c of computes) await c.waitFor('nova-compute started', 60_000)
      const api = startService('api', [conf], withProfile('api'))
      procs.push(api)
      await api.waitFor('nova-api listening')
    }
    console.log(`stack up in ${Date.now() - started} ms (${opts.transport} + ${dbKind}, ${hosts} hosts)`)
    const client = new ComputeClient(`http://127.0.0.1:${port}`, 'bench:bench')
    const admin = client.as('admin:admin')
    await client.request('GET', '/v2.1/flavors') // warm-up

    const createMs: number[] = []
    const ids: string[] = []
    const cpu = cpuCensus(procs.map((p) => ({ name: p.name, pid: p.child.pid! })))
    const t0 = performance.now()
    await pool(
      Array.from({ length: n }, (_, i) => i),
      concurrency,
      async (i) => {
        const s = performance.now()
        ids.push(await client.createServer(`bench-${i}`))
        createMs.push(performance.now() - s)
      },
    )
    const createPhase = performance.now() - t0
    await admin.waitForStatus(ids, 'ACTIVE', 600_000)
    const allActive = performance.now() - t0
    const cpuDuringBoot = cpu.used()

    const detailMs: number[] = []
    for (let i = 0; i < 50; i++) {
      const s = performance.now()
      const res = await client.request<{ servers: unknown[] }>('GET', '/v2.1/servers/detail')
      detailMs.push(performance.now() - s)
      if (res.body.servers.length !== n) throw new Error(`detail listed ${res.body.servers.length} of ${n}`)
    }

    const deleteMs: number[] = []
    const d0 = performance.now()
    await pool(ids, concurrency, async (id) => {
      const s = performance.now()
      const res = await client.request('DELETE', `/v2.1/servers/${id}`)
      if (res.status !== 204) throw new Error(`delete ${id}: ${res.status}`)
      deleteMs.push(performance.now() - s)
    })
    const deleteApi = performance.now() - d0
    for (;;) {
      const res = await client.request<{ servers: unknown[] }>('GET', '/v2.1/servers')
      if (res.body.servers.length === 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const allGone = performance.now() - d0

    const f = (ms: number) => `${ms.toFixed(1)} ms`
    console.log(`servers: ${n}, hosts: ${hosts}, clients: ${concurrency}`)
    console.log(
      `create API phase: ${f(createPhase)}; all ACTIVE after ${f(allActive)} (${(n / (allActive / 1000)).toFixed(1)} servers/s)`,
    )
    console.log(`create latency p50 ${f(percentile(createMs, 50))}, p99 ${f(percentile(createMs, 99))}`)
    console.log(
      `GET /servers/detail (${n} servers) p50 ${f(percentile(detailMs, 50))}, p99 ${f(percentile(detailMs, 99))}`,
    )
    console.log(
      `delete API phase: ${f(deleteApi)} (p50 ${f(percentile(deleteMs, 50))}, p99 ${f(percentile(deleteMs, 99))}); all gone after ${f(allGone)}`,
    )
    const rss = procs.map(
      (p) => `${p.name}${p.name === 'compute' ? `(${p.child.pid})` : ''} ${peakRssMb(p.child.pid!)} MB`,
    )
    const total = procs.reduce((sum, p) => sum + peakRssMb(p.child.pid!), 0)
    console.log(`peak RSS: ${rss.join(', ')}; total ${total} MB`)
    console.log(`CPU seconds from first create to all ACTIVE: ${cpuDuringBoot}`)
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    for (const c of cleanups) await c().catch(() => undefined)
  }
}

const program = new Command('bench')
program
  .command('boot')
  .option('--servers <n>', 'servers to boot', '200')
  .option('--hosts <n>', 'fake compute hosts', '8')
  .option('--transport <kind>', 'memory (all-in-one process) or amqp (distributed processes)', 'memory')
  .option('--db <kind>', 'sqlite, mysql or postgres', 'sqlite')
  .option('--concurrency <n>', 'concurrent HTTP clients', '10')
  .option('--profile <services>', 'comma-separated services to CPU-profile into .bench/profiles')
  .action(boot)
program
  .command('heartbeats')
  .description('N simulated compute hosts reporting to one conductor over RabbitMQ')
  .option('--hosts <n>', 'simulated compute hosts', '1000')
  .option('--interval <s>', 'report_interval, seconds', '10')
  .option('--duration <s>', 'seconds to measure once every host is up (default: 3 intervals, at least 30)')
  .option('--processes <n>', 'processes the simulated hosts are spread over', '2')
  .option('--db <kind>', 'mysql or postgres', 'mysql')
  .action(heartbeats)
program
  .command('schedule')
  .description('select_destinations latency over many hosts, in one process (SQLite, no RPC)')
  .option('--hosts <n>', 'compute nodes in the cell database', '10000')
  .option('--selections <n>', 'selections to time, one after another, each claiming', '1000')
  .option('--warmup <n>', 'selections made first and not timed', '100')
  .option('--heartbeats <n>', 'service heartbeats written per second meanwhile', '0')
  .action(schedule)

await program.parseAsync(process.argv)
