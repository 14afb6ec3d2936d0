/**
 * SchedulerManager against a real (SQLite) cell database: its cached host states follow what
 * other processes change (claims, releases, admin changes, new hosts), claims stay atomic across
 * schedulers, and the no-valid-host message says what removed the hosts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { CellStore } from '../../src/db/cell/cell-store.js'
import type { RequestSpec, Selection } from '../../src/objects/instance.js'
import { SchedulerManager } from '../../src/scheduler/manager.js'
import { DEFAULT_SCHEDULER_OPTIONS, type SchedulerOptions } from '../../src/scheduler/options.js'
import { adminContext } from '../../src/shared/context.js'
import { createLogger } from '../../src/shared/logger.js'
import { dbNow } from '../../src/shared/time.js'
import { FLAVOR } from './helpers.js'
import { addHosts, type SeededCell, seedCell } from './seed.js'

const log = createLogger({ name: 'test' })
log.level = 'silent'

let seeded: SeededCell | undefined
afterEach(async () => {
  await seeded?.close()
  seeded = undefined
})

function scheduler(cell: CellStore, options: Partial<SchedulerOptions> = {}): SchedulerManager {
  return new SchedulerManager(cell, { ...DEFAULT_SCHEDULER_OPTIONS, cellUuid: 'cell-1', ...options }, log)
}

let n = 0
function spec(o: Partial<RequestSpec> & { memory_mb?: number; vcpus?: number } = {}): RequestSpec {
  const { memory_mb, vcpus, ...rest } = o
  return {
    instance_uuid: `i-${++n}`,
    project_id: 'p',
    user_id: 'u',
    flavor: { ...FLAVOR, memory_mb: memory_mb ?? 1024, vcpus: vcpus ?? 1, root_gb: 1 },
    image_ref: 'img',
    num_instances: 1,
    availability_zone: null,
    scheduler_hints: {},
    ignore_hosts: [],
    ...rest,
  }
}

async function place(
  s: SchedulerManager,
  o: Parameters<typeof spec>[0] = {},
  count = 1,
): Promise<Selection[][]> {
  const sp = spec(o)
  const uuids = Array.from({ length: count }, (_, i) =>
    i === 0 ? sp.instance_uuid : `${sp.instance_uuid}-${i}`,
  )
  return s.select_destinations(adminContext(), {
    spec_obj: sp,
    instance_uuids: uuids,
    return_objects: true,
    return_alternates: true,
  })
}

const hostOf = async (s: SchedulerManager, o: Parameters<typeof spec>[0] = {}) =>
  (await place(s, o))[0]![0]!.service_host

describe('SchedulerManager on a cell database', () => {
  it('spreads by free RAM, answers max_attempts - 1 alternates on other hosts', async () => {
    // 4 hosts of 8192 MB (512 reserved): 7680 MB each.
    seeded = await seedCell(4, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell)
    const [[chosen, ...alts]] = (await place(s)) as [Selection[]]
    expect(chosen!.service_host).toBe('host1') // all equal: the first
    expect(alts.map((a) => a.service_host)).toEqual(['host2', 'host3'])
    // host1 now has less free RAM: the next goes elsewhere.
    expect(await hostOf(s)).toBe('host2')
    expect(await hostOf(s)).toBe('host3')
  })

  it('sees claims by another scheduler, and releases, before the next request', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const a = scheduler(seeded.cell)
    const b = scheduler(seeded.connect())
    await a.start()
    await b.start()
    // Scheduler b fills host1 nearly full; a must see it and pick host2.
    const big = await place(b, { memory_mb: 6000 })
    expect(big[0]![0]!.service_host).toBe('host1')
    expect(await hostOf(a, { memory_mb: 100 })).toBe('host2')
    // Release the big one (a delete, by the conductor): host1 is the roomiest again for a.
    const conductor = seeded.connect()
    await conductor.nodes.release(spec().instance_uuid.replace(/\d+$/, String(n - 2)))
    expect(await hostOf(a, { memory_mb: 100 })).toBe('host1')
  })

  it('two schedulers booting at once never overcommit: claims are atomic, refusals move on', async () => {
    // 3 hosts with room for 3 × 2000 MB each (7680 MB): 9 fit, 16 are asked. (One connection:
    // two SQLite connections in one thread would wait on each other's locks.)
    seeded = await seedCell(3, { vcpus: 64, memory_mb: 8192, local_gb: 1000 })
    const schedulers = [scheduler(seeded.cell), scheduler(seeded.cell)]
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => place(schedulers[i % 2]!, { memory_mb: 2000 })),
    )
    const placed = results.filter((r) => r.status === 'fulfilled')
    expect(placed).toHaveLength(9)
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    for (const r of rejected) expect(String(r.reason.message)).toMatch(/^No valid host was found\. /)
    const nodes = await seeded.cell.nodes.list()
    for (const node of nodes) expect(node.memory_mb_allocated).toBe(3 * 2000)
  })

  it('moves on when a claim is refused on a stale view, and corrects the view', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell)
    await s.start()
    // host1 fills up behind the cache's back (updated_at untouched, so no refresh sees it).
    await seeded.cell.db.kysely
      .updateTable('compute_nodes')
      .set({ memory_mb_allocated: 7000 })
      .where('host', '=', 'host1')
      .execute()
    expect(await hostOf(s, { memory_mb: 1000 })).toBe('host2')
    // Now the cache knows host1 has 680 MB left: host2 (6680 MB) is chosen again.
    expect(await hostOf(s, { memory_mb: 1000 })).toBe('host2')
  })

  it('pushes a host whose compute reports failed builds to the bottom (BuildFailureWeigher)', async () => {
    seeded = await seedCell(3, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell)
    await s.start()
    const node = (await seeded.cell.nodes.list())[0]!
    const { id, uuid, created_at, updated_at, deleted_at, deleted, mapped, service_id, ...rest } = node
    const report = { ...rest, failed_builds: 1 } as Parameters<typeof seeded.cell.nodes.update>[1]
    await seeded.cell.nodes.update(service_id!, report)
    // host1 is the emptiest (and first) but failed a build: every other host comes first.
    const [[first, ...alternates]] = (await place(s)) as [Selection[]]
    expect(first!.service_host).not.toBe('host1')
    expect(alternates.at(-1)!.service_host).toBe('host1')
    // A success resets the count (the compute reports 0): host1 is back in the running.
    await seeded.cell.nodes.update(service_id!, { ...report, failed_builds: 0 })
    expect(await hostOf(s)).toBe('host1')
  })

  it('sees a row changed in the same millisecond as the newest one it had seen', async () => {
    seeded = await seedCell(3, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell, { weightClasses: ['RAMWeigher'] })
    await s.start()
    const stamp = dbNow(new Date(Date.now() + 60_000))
    const allocate = (mb: number, hosts: string[]) =>
      seeded!.cell.db.kysely
        .updateTable('compute_nodes')
        .set({ memory_mb_allocated: mb, updated_at: stamp })
        .where('host', 'in', hosts)
        .execute()
    await allocate(7000, ['host1'])
    expect(await hostOf(s)).toBe('host2') // 7680 free like host3, and first; host1 680
    // host3 takes 3000 MB, stamped in the very millisecond of host1's change, already seen.
    await allocate(3000, ['host3'])
    expect(await hostOf(s)).toBe('host2') // 6656 free, host3 4680
  })

  it('finds within a second a change stamped before the newest it had seen (committed late)', async () => {
    seeded = await seedCell(3, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell, { weightClasses: ['RAMWeigher'] })
    await s.start()
    const later = Date.now() + 60_000
    const allocate = (mb: number, host: string, at: number) =>
      seeded!.cell.db.kysely
        .updateTable('compute_nodes')
        .set({ memory_mb_allocated: mb, updated_at: dbNow(new Date(at)) })
        .where('host', '=', host)
        .execute()
    await allocate(7000, 'host1', later)
    expect(await hostOf(s)).toBe('host2')
    await allocate(3000, 'host3', later - 500)
    await new Promise((r) => setTimeout(r, 1100))
    expect(await hostOf(s)).toBe('host2') // 6656 free, host3 4680
  })

  it('drops a deleted compute service’s node (soft-deleted without a new stamp) at its first refused claim', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell, { weightClasses: ['RAMWeigher'] })
    await s.start()
    const host1 = (await seeded.cell.services.list({ host: 'host1' }))[0]!
    expect(await seeded.cell.services.destroy(host1.id)).toBe(true)
    expect(await hostOf(s)).toBe('host2')
    expect(await hostOf(s)).toBe('host2')
    await expect(place(s, { memory_mb: 7000 })).rejects.toThrow(
      'No valid host was found. There are not enough hosts available. RamFilter removed 1 of 1 hosts',
    )
  })

  it('follows an admin disabling a host and a new host joining', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell)
    await s.start()
    const host1 = (await seeded.cell.services.list({ host: 'host1' }))[0]!
    await seeded.cell.services.update(host1.id, { disabled: true, disabled_reason: 'drain' })
    expect(new Set([await hostOf(s), await hostOf(s), await hostOf(s)])).toEqual(new Set(['host2']))
    await addHosts(seeded.cell, 3, 1, { vcpus: 8, memory_mb: 16384, local_gb: 100 })
    expect(await hostOf(s)).toBe('host3')
  })

  it('keeps the claims of all instances of a request or none', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 4096, local_gb: 100 })
    const s = scheduler(seeded.cell)
    // 3584 MB free per host: two of 3000 MB fit, three do not.
    await expect(place(s, { memory_mb: 3000 }, 3)).rejects.toThrow(
      /^No valid host was found\. There are not enough hosts available\. RamFilter removed 2 of 2 hosts: needs 3000 MB, most free is 584 MB\.$/,
    )
    const nodes = await seeded.cell.nodes.list()
    expect(nodes.map((x) => x.memory_mb_allocated)).toEqual([0, 0])
    const two = await place(s, { memory_mb: 3000 }, 2)
    expect(two.map((sel) => sel[0]!.service_host).sort()).toEqual(['host1', 'host2'])
  })

  it('answers a redelivered request with the host its claim is already on', async () => {
    seeded = await seedCell(3, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell)
    const sp = spec()
    const args = {
      spec_obj: sp,
      instance_uuids: [sp.instance_uuid],
      return_objects: true,
      return_alternates: true,
    }
    const first = await s.select_destinations(adminContext(), args)
    const again = await s.select_destinations(adminContext(), args)
    expect(again[0]![0]!.service_host).toBe(first[0]![0]!.service_host)
    const nodes = await seeded.cell.nodes.list()
    expect(nodes.reduce((sum, x) => sum + x.memory_mb_allocated, 0)).toBe(1024)
  })

  it('answers a redelivery on a host its own claim filled, and never gives back a claim it did not make', async () => {
    // One host, 3584 MB free: the first instance's 3000 MB claim leaves no room for anything.
    seeded = await seedCell(1, { vcpus: 8, memory_mb: 4096, local_gb: 100 })
    const s = scheduler(seeded.cell)
    const sp = spec({ memory_mb: 3000 })
    const once = (uuids: string[]) =>
      s.select_destinations(adminContext(), {
        spec_obj: sp,
        instance_uuids: uuids,
        return_objects: true,
        return_alternates: true,
      })
    await once([sp.instance_uuid])
    // Delivered again, with a second instance that cannot fit: the first keeps its host...
    expect((await once([sp.instance_uuid]))[0]![0]!.service_host).toBe('host1')
    await expect(once([sp.instance_uuid, `${sp.instance_uuid}-b`])).rejects.toThrow(/No valid host/)
    // ...and the failed request did not release the claim an earlier delivery made.
    const [node] = await seeded.cell.nodes.list()
    expect(node!.memory_mb_allocated).toBe(3000)
  })

  it('counts instances and I/O-heavy operations per host from the claims', async () => {
    seeded = await seedCell(2, { vcpus: 8, memory_mb: 8192, local_gb: 100 })
    const s = scheduler(seeded.cell, {
      enabledFilters: ['NumInstancesFilter', 'IoOpsFilter'],
      maxInstancesPerHost: 3,
      maxIoOpsPerHost: 2,
    })
    const on1 = { memory_mb: 100, force_hosts: ['host1'] }
    await place(s, on1)
    await place(s, on1)
    // Two builds in flight (claimed, no instance row yet): host1 is busy.
    await expect(place(s, on1)).rejects.toThrow(
      'IoOpsFilter removed 1 of 1 hosts: max_io_ops_per_host is 2, they run up to 2 I/O-heavy operations.',
    )
    // Their instances become ACTIVE: no longer I/O, but still instances. (A fresh scheduler
    // reads the counts; a running one counts busy hosts again every 2 s.)
    const k = seeded.cell.db.kysely
    const claims = await k.selectFrom('allocations').select('consumer_uuid').execute()
    const now = dbNow()
    for (const [i, c] of claims.entries()) {
      await k
        .insertInto('instances')
        .values({
          uuid: c.consumer_uuid,
          host: 'host1',
          vm_state: 'active',
          task_state: null,
          display_name: `i${i}`,
          created_at: now,
          updated_at: now,
          locked: false,
          flavor: '{}',
          metadata: '{}',
        } as never)
        .execute()
    }
    const fresh = scheduler(seeded.cell, {
      enabledFilters: ['NumInstancesFilter', 'IoOpsFilter'],
      maxInstancesPerHost: 3,
      maxIoOpsPerHost: 2,
    })
    await place(fresh, on1)
    await expect(place(fresh, on1)).rejects.toThrow(
      'NumInstancesFilter removed 1 of 1 hosts: max_instances_per_host is 3, they hold up to 3.',
    )
  })

  it('shuffle_best_same_weighed_hosts and host_subset_size spread equal choices', async () => {
    seeded = await seedCell(4, { vcpus: 64, memory_mb: 65536, local_gb: 1000 })
    // No weigher discriminates: every host weighs 0.
    const flat = { weightClasses: ['RAMWeigher'], ramWeightMultiplier: 0 }
    const plain = scheduler(seeded.cell, flat)
    const firsts = new Set<string>()
    for (let i = 0; i < 5; i++) firsts.add(await hostOf(plain, { memory_mb: 10 }))
    expect(firsts).toEqual(new Set(['host1']))
    const shuffled = scheduler(seeded.cell, { ...flat, shuffleBestSameWeighedHosts: true })
    const spread = new Set<string>()
    for (let i = 0; i < 30; i++) spread.add(await hostOf(shuffled, { memory_mb: 10 }))
    expect(spread.size).toBeGreaterThan(1)
    // host_subset_size 3: one of the best three, at random (host4 is worst: it has the least RAM).
    await seeded.cell.db.kysely
      .updateTable('compute_nodes')
      .set({ memory_mb_allocated: 30000, updated_at: dbNow() })
      .where('host', '=', 'host4')
      .execute()
    const subset = scheduler(seeded.cell, { hostSubsetSize: 3, weightClasses: ['RAMWeigher'] })
    const picked = new Set<string>()
    for (let i = 0; i < 30; i++) picked.add(await hostOf(subset, { memory_mb: 10 }))
    expect(picked.has('host4')).toBe(false)
    expect(picked.size).toBeGreaterThan(1)
  })

  it('considers only the hosts of requested_destination.cell (hint target_cell)', async () => {
    seeded = await seedCell(2, { vcpus: 4, memory_mb: 4096, local_gb: 100 })
    const s = scheduler(seeded.cell) // its hosts are in cell-1
    const [[chosen]] = (await place(s, {
      requested_destination: { cell: { uuid: 'cell-1', name: 'cell1' } },
    })) as [Selection[]]
    expect(chosen).toMatchObject({ service_host: 'host1', cell_uuid: 'cell-1' })
    await expect(
      place(s, { requested_destination: { cell: { uuid: 'cell-2', name: 'cell2' } } }),
    ).rejects.toThrow(
      'No valid host was found. There are not enough hosts available. requested_destination removed 2 of 2 hosts: requested cell cell2 (cell-2).',
    )
    await expect(
      place(s, { requested_destination: { cell: { uuid: 'cell-3', name: null } } }),
    ).rejects.toThrow(/requested_destination removed 2 of 2 hosts: requested cell cell-3\.$/)
  })

  it('says which filter removed how many hosts, and why', async () => {
    seeded = await seedCell(10, { vcpus: 4, memory_mb: 4096, local_gb: 100 })
    const s = scheduler(seeded.cell, { enabledFilters: ['ComputeFilter', 'NumInstancesFilter'] })
    // Stop 3 hosts' heartbeats: they are down.
    const old = dbNow(new Date(Date.now() - 120_000))
    await seeded.cell.db.kysely
      .updateTable('services')
      .set({ last_seen_up: old, updated_at: dbNow() })
      .where('host', 'in', ['host8', 'host9', 'host10'])
      .execute()
    await expect(place(s, { memory_mb: 4000 })).rejects.toThrow(
      'No valid host was found. There are not enough hosts available. RamFilter removed 10 of 10 hosts: needs 4000 MB, most free is 3584 MB.',
    )
    await expect(place(s, { availability_zone: 'elsewhere' })).rejects.toThrow(
      "AvailabilityZoneFilter removed 10 of 10 hosts: requested zone 'elsewhere', hosts are in 'nova'.",
    )
    expect(await hostOf(s, { memory_mb: 3000, force_hosts: ['host1'] })).toBe('host1')
    expect(await hostOf(s, { memory_mb: 3000, ignore_hosts: ['host2'] })).toBe('host3')
    await expect(place(s, { vcpus: 2, memory_mb: 3000, force_hosts: ['host1', 'host8'] })).rejects.toThrow(
      /force_hosts removed 8 of 10 hosts: forced to host1, host8; RamFilter removed 1 of 2 hosts: needs 3000 MB, most free is 584 MB; ComputeFilter removed 1 of 1 hosts: 1 down/,
    )
  })
})
