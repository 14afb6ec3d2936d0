/**
 * `npm run bench -- schedule --hosts 10000 [--selections 1000] [--heartbeats 1000]`
 *
 * select_destinations latency with many hosts and the default filters and weighers, in one
 * process: a SQLite cell database holding `--hosts` compute nodes and their services, and a
 * SchedulerManager called directly (no RPC), one selection after another, each claiming its
 * host. `--heartbeats N` has N services a second report (as a conductor would write them) while
 * it runs, so each request also reads the services that changed since the previous one.
 */
import os from 'node:os'
import { SchedulerManager } from '../src/scheduler/manager.js'
import { DEFAULT_SCHEDULER_OPTIONS } from '../src/scheduler/options.js'
import { adminContext } from '../src/shared/context.js'
import { createLogger } from '../src/shared/logger.js'
import { FLAVOR } from '../test/scheduler/helpers.js'
import { seedCell } from '../test/scheduler/seed.js'
import { percentile } from './measure.js'

export interface ScheduleOptions {
  hosts: string
  selections: string
  warmup: string
  heartbeats: string
}

export async function schedule(opts: ScheduleOptions): Promise<void> {
  const hosts = Number(opts.hosts)
  const selections = Number(opts.selections)
  const warmup = Number(opts.warmup)
  const heartbeatRate = Number(opts.heartbeats)
  const log = createLogger({ name: 'bench' })
  log.level = 'warn'

  let t = performance.now()
  // Hosts big enough that every selection fits: 64 vCPU, 256 GB RAM, 4 TB disk.
  const seeded = await seedCell(hosts, { vcpus: 64, memory_mb: 262144, local_gb: 4000 })
  console.log(`seeded ${hosts} compute nodes + services in ${(performance.now() - t).toFixed(0)} ms`)
  const manager = new SchedulerManager(
    seeded.cell,
    { ...DEFAULT_SCHEDULER_OPTIONS, cellUuid: 'bench-cell' },
    log,
  )
  t = performance.now()
  await manager.start()
  console.log(`scheduler start (full read of the host states): ${(performance.now() - t).toFixed(0)} ms`)

  // Heartbeats: every 10 ms, a batch of services reports (one UPDATE, as the conductor batches).
  let beat = 0
  const perTick = Math.round(heartbeatRate / 100)
  const timer =
    perTick > 0
      ? setInterval(() => {
          const ids = Array.from({ length: perTick }, () => (beat++ % hosts) + 1)
          void seeded.cell.services.reportStates(ids)
        }, 10)
      : undefined

  const ms: number[] = []
  let n = 0
  const selectOne = async () => {
    const uuid = `00000000-0000-4000-8000-${(n++).toString().padStart(12, '0')}`
    const spec = {
      instance_uuid: uuid,
      project_id: 'bench',
      user_id: 'bench',
      flavor: FLAVOR, // m1.small: 1 vCPU, 2048 MB, 20 GB
      image_ref: 'image',
      num_instances: 1,
      availability_zone: null,
      scheduler_hints: {},
      ignore_hosts: [],
    }
    const s = performance.now()
    const result = await manager.select_destinations(adminContext(), {
      spec_obj: spec,
      instance_uuids: [uuid],
      return_objects: true,
      return_alternates: true,
    })
    const took = performance.now() - s
    if (!result[0]?.[0]) throw new Error('no selection')
    return took
  }
  // The selections never give the event loop a turn (better-sqlite3 is synchronous, so every await
  // in them settles at once): with heartbeats, let it have one between selections, untimed, or
  // the heartbeat timer would never fire.
  const pause = timer ? () => new Promise<void>((r) => setImmediate(r)) : async () => {}
  try {
    for (let i = 0; i < warmup; i++) await selectOne()
    const t0 = performance.now()
    const beat0 = beat
    for (let i = 0; i < selections; i++) {
      await pause()
      ms.push(await selectOne())
    }
    const wall = performance.now() - t0
    const f = (v: number) => `${v.toFixed(2)} ms`
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length
    console.log(
      `select_destinations, ${hosts} hosts, default filters and weighers, ${selections} selections (after ${warmup} warm-up)` +
        (perTick > 0 ? `, ${heartbeatRate} heartbeats/s alongside` : ''),
    )
    console.log(
      `latency p50 ${f(percentile(ms, 50))}, p90 ${f(percentile(ms, 90))}, p99 ${f(percentile(ms, 99))}, max ${f(Math.max(...ms))}, mean ${f(mean)}; ${(selections / (wall / 1000)).toFixed(0)} selections/s`,
    )
    if (timer) console.log(`heartbeats written meanwhile: ${((beat - beat0) / (wall / 1000)).toFixed(0)}/s`)
    console.log(`load average ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`)
    const nodes = await seeded.cell.db.kysely
      .selectFrom('compute_nodes')
      .select((eb) => [eb.fn.countAll<number>().as('used')])
      .where('memory_mb_allocated', '>', 0)
      .executeTakeFirst()
    console.log(`hosts holding a claim afterwards: ${Number(nodes?.used ?? 0)} (spread by the weighers)`)
  } finally {
    if (timer) clearInterval(timer)
    await seeded.close()
  }
}
