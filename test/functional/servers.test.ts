/**
 * The seed's create-server flow end to end through the REST API, on each backend pair:
 * in-process bus + SQLite, RabbitMQ + MariaDB, RabbitMQ + PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

describeBackends('servers over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: ['compute1', 'compute2'],
      // Small hosts so "no valid host" is reachable, and a spawn slow enough to see BUILD.
      config: { fake: { memory_mb: '20000', spawn_delay: '0.3' } },
    })
    admin = new ComputeClient(cloud.url)
    alice = admin.as('alice:project-a')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('answers version discovery without a token', async () => {
    const root = await fetch(`${cloud.url}/`).then((r) => r.json())
    expect(root.versions.map((v: { id: string }) => v.id)).toEqual(['v2.0', 'v2.1'])
    const v21 = await fetch(`${cloud.url}/v2.1`).then((r) => r.json())
    expect(v21.version).toMatchObject({ id: 'v2.1', status: 'CURRENT', min_version: '2.1', version: '2.93' })
  })

  it('refuses requests without a token, and microversions it does not speak', async () => {
    const res = await fetch(`${cloud.url}/v2.1/servers`)
    expect(res.status).toBe(401)
    const bad = await admin.as('admin:admin', '2.999').request('GET', '/v2.1/servers')
    expect(bad.status).toBe(406)
    expect(bad.body).toEqual({
      computeFault: {
        code: 406,
        message: 'Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
      },
    })
  })

  it('lists devstack flavors and shows one', async () => {
    const list = await alice.request<{ flavors: { id: string; name: string }[] }>('GET', '/v2.1/flavors')
    expect(list.body.flavors.map((f) => f.name)).toEqual([
      'm1.tiny',
      'm1.small',
      'm1.medium',
      'm1.large',
      'm1.xlarge',
    ])
    const one = await alice
      .as('alice:project-a', 'latest')
      .request<{ flavor: Record<string, unknown> }>('GET', '/v2.1/flavors/3')
    expect(one.body.flavor).toMatchObject({
      id: '3',
      name: 'm1.medium',
      ram: 4096,
      vcpus: 2,
      disk: 40,
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'os-flavor-access:is_public': true,
      description: null,
      extra_specs: {},
    })
    const missing = await alice.request('GET', '/v2.1/flavors/nope')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({ itemNotFound: { code: 404, message: 'Flavor nope could not be found.' } })
  })

  it('boots a server: 202, BUILD, then ACTIVE on a host; then deletes it', async () => {
    const res = await alice.request<{ server: Record<string, unknown> }>('POST', '/v2.1/servers', {
      server: { name: 'web-1', flavorRef: '1', imageRef: IMAGE, networks: 'none' },
    })
    expect(res.status).toBe(202)
    expect(res.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/)
    expect(res.headers.get('openstack-api-version')).toBe('compute 2.37')
    const id = res.body.server.id as string
    expect(res.headers.get('location')).toBe(`${cloud.url}/v2.1/servers/${id}`)
    expect(Object.keys(res.body.server).sort()).toEqual([
      'OS-DCF:diskConfig',
      'adminPass',
      'id',
      'links',
      'security_groups',
    ])

    const building = await alice.getServer(id)
    expect(building.status).toBe(200)
    expect(building.body.server.status).toBe('BUILD')

    await alice.waitForStatus([id], 'ACTIVE')
    const active = (await admin.as('admin:admin', 'latest').getServer(id)).body.server
    expect(active).toMatchObject({
      id,
      name: 'web-1',
      status: 'ACTIVE',
      tenant_id: 'project-a',
      user_id: 'alice',
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:power_state': 1,
      host_status: 'UP',
      flavor: {
        vcpus: 1,
        ram: 512,
        disk: 1,
        ephemeral: 0,
        swap: 0,
        original_name: 'm1.tiny',
        extra_specs: {},
      },
    })
    expect(['compute1', 'compute2']).toContain(active['OS-EXT-SRV-ATTR:host'])
    expect(active['OS-EXT-SRV-ATTR:instance_name']).toMatch(/^instance-[0-9a-f]{8}$/)
    expect(active['OS-SRV-USG:launched_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)

    // A member sees its server but not where it runs.
    const asMember = (await alice.getServer(id)).body.server
    expect(asMember).not.toHaveProperty('OS-EXT-SRV-ATTR:host')
    expect(asMember['hostId']).toMatch(/^[0-9a-f]{56}$/)

    const list = await alice.request<{ servers: { id: string; name: string }[] }>('GET', '/v2.1/servers')
    expect(list.body.servers).toContainEqual(expect.objectContaining({ id, name: 'web-1' }))
    const detail = await alice.request<{ servers: Record<string, unknown>[] }>('GET', '/v2.1/servers/detail')
    expect(detail.body.servers.find((s) => s.id === id)?.status).toBe('ACTIVE')

    const del = await alice.request('DELETE', `/v2.1/servers/${id}`)
    expect(del.status).toBe(204)
    await alice.waitForGone([id])
    const gone = await alice.getServer(id)
    expect(gone.body).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } })
  })

  it('keeps projects apart', async () => {
    const id = await alice.createServer('private')
    const bob = admin.as('bob:project-b')
    expect((await bob.getServer(id)).status).toBe(404)
    const bobs = await bob.request<{ servers: unknown[] }>('GET', '/v2.1/servers')
    expect(bobs.body.servers).toEqual([])
    expect((await bob.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(404)
    await alice.waitForStatus([id], 'ACTIVE')
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])
  })

  it('deletes a server still being scheduled or spawned', async () => {
    const id = await alice.createServer('short-lived')
    expect((await alice.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
    await alice.waitForGone([id])
    await cloud.settle()
    expect((await alice.getServer(id)).status).toBe(404)
  })

  it('puts a server that fits nowhere in ERROR with a fault saying why', async () => {
    // Each host has 20000 MB less 512 reserved: one m1.xlarge (16384 MB) per host, no more.
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await alice.createServer(`big-${i}`, { flavorRef: '5' }))
    const deadline = Date.now() + 20_000
    let statuses: string[] = []
    while (Date.now() < deadline) {
      statuses = await Promise.all(
        ids.map(async (id) => (await alice.getServer(id)).body.server.status as string),
      )
      if (statuses.every((s) => s === 'ACTIVE' || s === 'ERROR')) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(statuses.sort()).toEqual(['ACTIVE', 'ACTIVE', 'ERROR'])
    const failed = await Promise.all(ids.map((id) => alice.getServer(id)))
    const err = failed.find((r) => r.body.server.status === 'ERROR')!.body.server
    expect(err.fault).toMatchObject({ code: 500 })
    expect((err.fault as { message: string }).message).toMatch(
      /^No valid host was found\. .*RamFilter removed 2 of 2 hosts: needs 16384 MB/,
    )
    // It lives in cell0 (listed with the others), and nowhere else.
    const cells = cloud.runtime.cells()
    const cell0 = await cells.cell0()
    expect((await cell0.store.instances.get(err.id as string)).vm_state).toBe('error')
    expect((await cells.forInstance(err.id as string))?.mapping.name).toBe('cell0')
    expect(
      await (await cloud.runtime.localCell()).store.instances.find(err.id as string, true),
    ).toBeUndefined()
    const listed = await alice.request<{ servers: { id: string }[] }>('GET', '/v2.1/servers')
    expect(listed.body.servers.map((s) => s.id)).toEqual(expect.arrayContaining(ids))
    for (const id of ids) await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone(ids)
  })

  it('spreads servers over the hosts', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => alice.createServer(`spread-${i}`)))
    const servers = await admin.waitForStatus(ids, 'ACTIVE')
    const hosts = new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:host']))
    expect(hosts).toEqual(new Set(['compute1', 'compute2']))
    await Promise.all(ids.map((id) => alice.request('DELETE', `/v2.1/servers/${id}`)))
    await alice.waitForGone(ids)
  })
})
