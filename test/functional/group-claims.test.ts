/**
 * Hard server-group policies hold inside the atomic claim: however many schedulers claim at
 * once, an anti-affinity group never gets more than max_server_per_host members on a node, and
 * an affinity group never spreads over two (the long-standing Nova race).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { CellStore } from '../../src/db/cell/cell-store.js'
import { cellMigrations } from '../../src/db/cell/migrations.js'
import type { CellSchema } from '../../src/db/cell/schema.js'
import { connectDb, ensureDatabase } from '../../src/db/connect.js'
import { syncSchema } from '../../src/db/migrate.js'
import type { GroupPolicyClaim } from '../../src/objects/instance.js'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { describeDatabases } from '../harness/matrix.js'

const tiny = { vcpus: 1, memory_mb: 512, disk_gb: 1 }

describeDatabases('group policy claims on $db', ({ db: kind }) => {
  let dbs: TestDatabases
  let cell: CellStore
  const nodes: number[] = []

  beforeAll(async () => {
    dbs = createDatabases(kind)
    await ensureDatabase(dbs.cell)
    cell = new CellStore(connectDb<CellSchema>(dbs.cell, { poolSize: 10 }))
    await syncSchema(cell.db, cellMigrations, 'main')
    for (const host of ['n1', 'n2']) {
      const service = await cell.services.getOrCreate({
        host,
        binary: 'nova-compute',
        topic: 'compute',
        version: 64,
      })
      const node = await cell.nodes.update(service.id, {
        host,
        hypervisor_hostname: host,
        hypervisor_type: 'fake',
        hypervisor_version: 1,
        cpu_info: '{}',
        host_ip: null,
        vcpus: 100,
        memory_mb: 100_000,
        local_gb: 1000,
        vcpus_used: 0,
        memory_mb_used: 0,
        local_gb_used: 0,
        running_vms: 0,
        cpu_allocation_ratio: 1,
        ram_allocation_ratio: 1,
        disk_allocation_ratio: 1,
        reserved_vcpus: 0,
        reserved_memory_mb: 0,
        reserved_disk_gb: 0,
      })
      nodes.push(node.id)
    }
  }, 60_000)

  afterAll(async () => {
    await cell?.close()
    await dbs?.drop()
  })

  const race = (node: number, group: GroupPolicyClaim, n: number) =>
    Promise.all(Array.from({ length: n }, () => cell.nodes.claim(node, randomUUID(), tiny, group)))

  it('lets one anti-affinity member per node through, however many claim at once', async () => {
    const group: GroupPolicyClaim = { uuid: randomUUID(), policy: 'anti-affinity', maxServerPerHost: 1 }
    const results = await race(nodes[0]!, group, 10)
    expect(results.filter(Boolean)).toHaveLength(1)
    // The other node is still free for the group.
    expect(await cell.nodes.claim(nodes[1]!, randomUUID(), tiny, group)).toBe(true)
    expect(await cell.nodes.claim(nodes[1]!, randomUUID(), tiny, group)).toBe(false)
  })

  it('honours max_server_per_host', async () => {
    const group: GroupPolicyClaim = { uuid: randomUUID(), policy: 'anti-affinity', maxServerPerHost: 3 }
    expect((await race(nodes[0]!, group, 10)).filter(Boolean)).toHaveLength(3)
  })

  it('keeps an affinity group on one node', async () => {
    const group: GroupPolicyClaim = { uuid: randomUUID(), policy: 'affinity', maxServerPerHost: 1 }
    expect(await cell.nodes.claim(nodes[0]!, randomUUID(), tiny, group)).toBe(true)
    expect(await cell.nodes.claim(nodes[1]!, randomUUID(), tiny, group)).toBe(false)
    expect((await race(nodes[0]!, group, 5)).every(Boolean)).toBe(true)
  })

  it('gives the room of a refused claim back', async () => {
    const before = (await cell.nodes.find('n1', 'n1'))!.memory_mb_allocated
    const group: GroupPolicyClaim = { uuid: randomUUID(), policy: 'anti-affinity', maxServerPerHost: 1 }
    await race(nodes[0]!, group, 4)
    const after = (await cell.nodes.find('n1', 'n1'))!.memory_mb_allocated
    expect(after - before).toBe(512)
  })
})
