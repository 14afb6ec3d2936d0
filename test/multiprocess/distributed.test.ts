/**
 * The distributed shape: api, conductor, scheduler and two computes as separate OS processes
 * over RabbitMQ and MariaDB. Boots 20 servers, sees them ACTIVE on both hosts, deletes them all.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ComputeClient } from '../harness/client.js'
import { type DistributedCloud, startDistributedCloud } from '../harness/distributed-cloud.js'
import { startService, writeConfig } from '../harness/processes.js'
import { createVhost, rabbitmqctl, type TestVhost } from '../harness/rabbit.js'

describe('distributed over RabbitMQ + MariaDB', () => {
  let vhost: TestVhost
  let cloud: DistributedCloud
  let client: ComputeClient

  beforeAll(async () => {
    vhost = await createVhost()
    cloud = await startDistributedCloud({
      transportUrl: vhost.url,
      config: { DEFAULT: { service_down_time: 4 } },
    })
    client = cloud.client
  }, 120_000)

  afterAll(async () => {
    await cloud?.stop()
    await vhost?.drop()
  })

  it('boots 20 servers across both hosts and deletes them all', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => client.createServer(`mp-${i}`)))
    const admin = client.as('admin:admin')
    const servers = await admin.waitForStatus(ids, 'ACTIVE', 60_000)
    const perHost = new Map<string, number>()
    for (const s of servers) {
      const host = s['OS-EXT-SRV-ATTR:host'] as string
      perHost.set(host, (perHost.get(host) ?? 0) + 1)
    }
    expect([...perHost.keys()].sort()).toEqual(['cmp-1', 'cmp-2'])
    for (const id of ids) expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
    await client.waitForGone(ids, 60_000)
    const left = await client.request<{ servers: unknown[] }>('GET', '/v2.1/servers')
    expect(left.body.servers).toEqual([])
  })

  it('lays out queues as Nova does', async () => {
    const queues = (await rabbitmqctl('list_queues', '-p', vhost.vhost, 'name', '--no-table-headers'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
    for (const name of [
      'conductor',
      'conductor.controller',
      'scheduler',
      'scheduler.controller',
      'compute.cmp-1',
      'compute.cmp-2',
    ]) {
      expect(queues).toContain(name)
    }
    expect(queues.filter((q) => /^reply_[0-9a-f]{32}$/.test(q)).length).toBeGreaterThanOrEqual(3) // computes and the conductor (replies are declared on first call)
    expect(queues.filter((q) => /^compute_fanout_[0-9a-f]{32}$/.test(q))).toHaveLength(2)
  })

  it('sees a killed compute go down, schedules around it, and sees it back up', async () => {
    const admin = client.as('admin:admin', '2.53')
    const state = async (host: string) => {
      const res = await admin.request<{ services: { host: string; state: string }[] }>(
        'GET',
        `/v2.1/os-services?binary=nova-compute&host=${host}`,
      )
      return res.body.services[0]?.state
    }
    expect(await state('cmp-1')).toBe('up')
    const killedAt = Date.now()
    await cloud.computes.get('cmp-1')!.proc.stop('SIGKILL')
    while ((await state('cmp-1')) !== 'down') {
      // service_down_time (4 s) after its last report, which was at most report_interval (1 s) before the kill.
      expect(Date.now() - killedAt).toBeLessThan(4_000 + 1_000 + 1_500)
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await state('cmp-2')).toBe('up')

    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.createServer(`after-kill-${i}`)),
    )
    const servers = await client.as('admin:admin').waitForStatus(ids, 'ACTIVE', 60_000)
    expect(new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:host']))).toEqual(new Set(['cmp-2']))

    const restarted = startService('compute', [cloud.commonConf, cloud.computes.get('cmp-1')!.conf])
    cloud.procs.push(restarted)
    await restarted.waitFor('nova-compute started')
    const upBy = Date.now() + 1_000 + 500
    while ((await state('cmp-1')) !== 'up') {
      expect(Date.now()).toBeLessThan(upBy)
      await new Promise((r) => setTimeout(r, 100))
    }
    for (const id of ids) await client.request('DELETE', `/v2.1/servers/${id}`)
    await client.waitForGone(ids, 60_000)
  })

  it('runs a compute host that has no database configured: it starts, builds, and opens none', async () => {
    // Its whole config: the bus and its name. No [database], no [api_database].
    const stateDir = mkdtempSync(path.join(tmpdir(), 'tsnova-nodb-'))
    const conf = writeConfig({
      DEFAULT: { transport_url: vhost.url, host: 'cmp-nodb', report_interval: 1, state_path: stateDir },
    })
    const compute = startService('compute', [conf])
    cloud.procs.push(compute)
    await compute.waitFor('nova-compute started')
    const admin = client.as('admin:admin')
    const res = await admin.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: {
        name: 'on-a-host-without-database',
        flavorRef: '1',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
        availability_zone: 'nova:cmp-nodb',
      },
    })
    expect(res.status).toBe(202)
    const [server] = await admin.waitForStatus([res.body.server.id], 'ACTIVE', 60_000)
    expect(server!['OS-EXT-SRV-ATTR:host']).toBe('cmp-nodb')
    // Nothing of a database: no SQLite file under its state_path, no SQLite driver in its memory.
    expect(readdirSync(stateDir).filter((f) => f.includes('sqlite'))).toEqual([])
    const maps = readFileSync(`/proc/${compute.child.pid}/maps`, 'utf8')
    expect(maps).not.toContain('better_sqlite3')
    expect((await admin.request('DELETE', `/v2.1/servers/${res.body.server.id}`)).status).toBe(204)
    await admin.waitForGone([res.body.server.id], 60_000)
  })
})
