/**
 * Three scheduler processes (and two conductors) placing 200 concurrent boots onto hosts with
 * room for exactly 150: the claims are atomic in the database, so exactly 150 become ACTIVE, 50
 * end in ERROR with the no-valid-host fault, and no host holds more than it has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CellSchema } from '../../src/db/cell/schema.js'
import { connectDb } from '../../src/db/connect.js'
import { ComputeClient } from '../harness/client.js'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { seedTestImage } from '../harness/images.js'
import { freePort, manage, type ServiceProcess, startService, writeConfig } from '../harness/processes.js'
import { createVhost, type TestVhost } from '../harness/rabbit.js'

const PER_HOST = 50
const HOSTS = 3
// m1.tiny is 512 MB; each host keeps reserved_host_memory_mb (512) for itself.
const HOST_MEMORY_MB = 512 + PER_HOST * 512

describe('three schedulers racing for the last room (RabbitMQ + MariaDB)', () => {
  let vhost: TestVhost
  let dbs: TestDatabases
  const procs: ServiceProcess[] = []
  let client: ComputeClient

  beforeAll(async () => {
    vhost = await createVhost()
    dbs = createDatabases('mysql')
    const port = await freePort()
    const conf = writeConfig({
      DEFAULT: { transport_url: vhost.url, host: 'ctl', osapi_compute_listen_port: port },
      database: { connection: dbs.cell },
      api_database: { connection: dbs.api },
      api: { auth_strategy: 'noauth2' },
      fake: { memory_mb: HOST_MEMORY_MB },
    })
    await manage([conf], 'api_db', 'sync')
    await seedTestImage([conf])
    await manage([conf], 'db', 'sync')
    const services: ServiceProcess[] = []
    for (let i = 1; i <= 2; i++)
      services.push(startService('conductor', [conf, writeConfig({ DEFAULT: { host: `ctl-${i}` } })]))
    for (let i = 1; i <= 3; i++)
      services.push(startService('scheduler', [conf, writeConfig({ DEFAULT: { host: `sch-${i}` } })]))
    procs.push(...services)
    for (const s of services)
      await s.waitFor(s.name === 'conductor' ? 'nova-conductor started' : 'nova-scheduler started')
    const computes = startService('compute', [conf, writeConfig({ DEFAULT: { host: 'cmp' } })], {
      args: ['--fake-hosts', String(HOSTS)],
    })
    procs.push(computes)
    await computes.waitFor('nova-compute started all hosts', 60_000)
    const api = startService('api', [conf])
    procs.push(api)
    await api.waitFor('nova-api listening')
    client = new ComputeClient(`http://127.0.0.1:${port}`, 'demo:demo')
  }, 180_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()))
    await vhost?.drop()
    await dbs?.drop()
  })

  it('places exactly what fits', async () => {
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => client.createServer(`race-${i}`)))
    const admin = client.as('admin:admin')
    const deadline = Date.now() + 120_000
    let servers: Record<string, unknown>[] = []
    for (;;) {
      const res = await admin.request<{ servers: Record<string, unknown>[] }>(
        'GET',
        '/v2.1/servers/detail?all_tenants=1',
      )
      servers = res.body.servers.filter((s) => ids.includes(s.id as string))
      if (servers.length === 200 && servers.every((s) => s.status === 'ACTIVE' || s.status === 'ERROR')) break
      expect(Date.now()).toBeLessThan(deadline)
      await new Promise((r) => setTimeout(r, 250))
    }
    const active = servers.filter((s) => s.status === 'ACTIVE')
    const errored = servers.filter((s) => s.status === 'ERROR')
    expect(active).toHaveLength(PER_HOST * HOSTS)
    expect(errored).toHaveLength(200 - PER_HOST * HOSTS)
    for (const s of errored)
      expect((s.fault as { message: string }).message).toMatch(/^No valid host was found\./)
    const perHost = new Map<string, number>()
    for (const s of active)
      perHost.set(
        s['OS-EXT-SRV-ATTR:host'] as string,
        (perHost.get(s['OS-EXT-SRV-ATTR:host'] as string) ?? 0) + 1,
      )
    expect([...perHost.values()]).toEqual([PER_HOST, PER_HOST, PER_HOST])

    // The database agrees: no node's claims exceed its capacity.
    const cell = connectDb<CellSchema>(dbs.cell, { poolSize: 1 })
    try {
      const nodes = await cell.kysely.selectFrom('compute_nodes').selectAll().execute()
      for (const n of nodes) {
        expect(n.memory_mb_allocated).toBeLessThanOrEqual(
          (n.memory_mb - n.reserved_memory_mb) * Number(n.ram_allocation_ratio),
        )
        expect(n.memory_mb_allocated).toBe(PER_HOST * 512)
      }
    } finally {
      await cell.kysely.destroy()
    }
  })
})
