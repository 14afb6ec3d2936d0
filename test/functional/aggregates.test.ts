/**
 * `/os-aggregates` and `/os-availability-zone` in Nova's shapes, the scheduler seeing aggregates
 * (zones, tenant isolation), and admin placement on create: `az:host[:node]` and 2.74's
 * `host` / `hypervisor_hostname`, still checked by the filters.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

const HOSTS = ['compute1', 'compute2', 'compute3']
const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

type Aggregate = Record<string, unknown> & { id: number; hosts: string[]; metadata: Record<string, string> }

describeBackends('aggregates and zones over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: HOSTS,
      config: {
        fake: { vcpus: '4', memory_mb: '20000' },
        filter_scheduler: {
          enabled_filters:
            'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,AggregateMultiTenancyIsolation',
        },
      },
    })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.41')
    alice = admin.as('alice:project-a', '2.41')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const agg = (id: number) => `/v2.1/os-aggregates/${id}`

  async function createAggregate(name: string, zone?: string): Promise<Aggregate> {
    const res = await admin.request<{ aggregate: Aggregate }>('POST', '/v2.1/os-aggregates', {
      aggregate: zone === undefined ? { name } : { name, availability_zone: zone },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.aggregate
  }

  async function action(id: number, body: Record<string, unknown>, client = admin) {
    return client.request<{ aggregate: Aggregate }>('POST', `${agg(id)}/action`, body)
  }

  async function boot(name: string, server: Record<string, unknown> = {}, client = alice) {
    const res = await client.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: { name, flavorRef: '1', imageRef: IMAGE, networks: 'none', ...server },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    return res.body.server.id
  }

  async function settled(id: string) {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = (await admin.getServer(id)).body.server
      if (s.status === 'ACTIVE' || s.status === 'ERROR') return s
      if (Date.now() > deadline) throw new Error(`server ${id} still ${String(s.status)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function placed(id: string): Promise<{ host: string; zone: string }> {
    const s = await settled(id)
    expect(s.status, JSON.stringify(s.fault)).toBe('ACTIVE')
    return { host: s['OS-EXT-SRV-ATTR:host'] as string, zone: s['OS-EXT-AZ:availability_zone'] as string }
  }

  async function cleanup(ids: string[]) {
    await Promise.all(ids.map((id) => admin.request('DELETE', `/v2.1/servers/${id}`)))
    await admin.waitForGone(ids)
  }

  it('creates, shows, updates and deletes aggregates in Nova’s shapes', async () => {
    const created = await createAggregate('rack-1', 'zone-x')
    expect(Object.keys(created).sort()).toEqual([
      'availability_zone',
      'created_at',
      'deleted',
      'deleted_at',
      'id',
      'name',
      'updated_at',
      'uuid',
    ])
    expect(created).toMatchObject({
      name: 'rack-1',
      availability_zone: 'zone-x',
      deleted: false,
      deleted_at: null,
    })
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)
    expect(typeof created.id).toBe('number')
    // uuid from 2.41 only
    const old = await admin
      .as('admin:admin', '2.40')
      .request<{ aggregate: Aggregate }>('GET', agg(created.id))
    expect(old.body.aggregate).not.toHaveProperty('uuid')
    expect(old.body.aggregate).toMatchObject({ hosts: [], metadata: { availability_zone: 'zone-x' } })

    const dup = await admin.request('POST', '/v2.1/os-aggregates', { aggregate: { name: 'rack-1' } })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({
      conflictingRequest: { code: 409, message: 'Aggregate rack-1 already exists.' },
    })
    const badZone = await admin.request('POST', '/v2.1/os-aggregates', {
      aggregate: { name: 'x', availability_zone: 'a:b' },
    })
    expect(badZone.status).toBe(400)
    const denied = await alice.request('POST', '/v2.1/os-aggregates', { aggregate: { name: 'y' } })
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-aggregates:create to be performed.",
      },
    })
    expect((await alice.request('GET', '/v2.1/os-aggregates')).status).toBe(403)

    const list = await admin.request<{ aggregates: Aggregate[] }>('GET', '/v2.1/os-aggregates')
    expect(list.body.aggregates.map((a) => a.name)).toContain('rack-1')
    expect((await admin.request('GET', agg(99999))).status).toBe(404)
    const notInt = await admin.request('GET', '/v2.1/os-aggregates/abc')
    expect(notInt.status).toBe(400)

    const renamed = await admin.request<{ aggregate: Aggregate }>('PUT', agg(created.id), {
      aggregate: { name: 'rack-one', availability_zone: 'zone-y' },
    })
    expect(renamed.status).toBe(200)
    expect(renamed.body.aggregate).toMatchObject({
      name: 'rack-one',
      availability_zone: 'zone-y',
      metadata: { availability_zone: 'zone-y' },
    })
    expect(renamed.body.aggregate.updated_at).not.toBeNull()
    const empty = await admin.request('PUT', agg(created.id), { aggregate: {} })
    expect(empty.status).toBe(400)

    // set_metadata merges; null removes a key
    const meta = await action(created.id, { set_metadata: { metadata: { ssd: 'true', gpu: 'no' } } })
    expect(meta.status).toBe(200)
    expect(meta.body.aggregate.metadata).toEqual({ availability_zone: 'zone-y', ssd: 'true', gpu: 'no' })
    const less = await action(created.id, { set_metadata: { metadata: { gpu: null } } })
    expect(less.body.aggregate.metadata).toEqual({ availability_zone: 'zone-y', ssd: 'true' })
    const noZone = await action(created.id, { set_metadata: { metadata: { availability_zone: null } } })
    expect(noZone.status).toBe(400)
    expect(noZone.body).toEqual({
      badRequest: {
        code: 400,
        message: `Cannot update metadata of aggregate ${created.id}. Reason: Aggregate rack-one does not support empty named availability zone.`,
      },
    })

    // hosts: only compute hosts; once; one zone per host; an aggregate with hosts cannot go
    const unknown = await action(created.id, { add_host: { host: 'nope' } })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({
      itemNotFound: { code: 404, message: 'Compute host nope could not be found.' },
    })
    const added = await action(created.id, { add_host: { host: 'compute3' } })
    expect(added.status).toBe(200)
    expect(added.body.aggregate.hosts).toEqual(['compute3'])
    const twice = await action(created.id, { add_host: { host: 'compute3' } })
    expect(twice.status).toBe(409)
    expect(twice.body).toEqual({
      conflictingRequest: { code: 409, message: `Aggregate ${created.id} already has host compute3.` },
    })
    const other = await createAggregate('rack-2', 'zone-z')
    const clash = await action(other.id, { add_host: { host: 'compute3' } })
    expect(clash.status).toBe(409)
    expect(clash.body).toEqual({
      conflictingRequest: {
        code: 409,
        message: `Cannot add host to aggregate ${other.id}. Reason: One or more hosts already in availability zone(s) ['zone-y'].`,
      },
    })
    const notEmpty = await admin.request('DELETE', agg(created.id))
    expect(notEmpty.status).toBe(400)
    expect(notEmpty.body).toEqual({
      badRequest: {
        code: 400,
        message: `Cannot remove host from aggregate ${created.id}. Reason: Host aggregate is not empty.`,
      },
    })
    const removed = await action(created.id, { remove_host: { host: 'compute3' } })
    expect(removed.body.aggregate.hosts).toEqual([])
    const again = await action(created.id, { remove_host: { host: 'compute3' } })
    expect(again.status).toBe(404)
    expect(again.body).toEqual({
      itemNotFound: { code: 404, message: `Cannot remove host compute3 in aggregate ${created.id}` },
    })
    for (const a of [created, other]) {
      const del = await admin.request('DELETE', agg(a.id))
      expect(del.status).toBe(200)
    }
    expect((await admin.request('GET', agg(created.id))).status).toBe(404)
  })

  it('a zone aggregate is a zone: listed, and boots asking for it land only on its hosts', async () => {
    const zone = await createAggregate('az1-hosts', 'az1')
    await action(zone.id, { add_host: { host: 'compute3' } })

    const azs = await alice.request<{ availabilityZoneInfo: Record<string, unknown>[] }>(
      'GET',
      '/v2.1/os-availability-zone',
    )
    expect(azs.status).toBe(200)
    expect(azs.body.availabilityZoneInfo).toEqual([
      { zoneName: 'az1', zoneState: { available: true }, hosts: null },
      { zoneName: 'nova', zoneState: { available: true }, hosts: null },
    ])
    expect((await alice.request('GET', '/v2.1/os-availability-zone/detail')).status).toBe(403)
    const detail = await admin.request<{
      availabilityZoneInfo: {
        zoneName: string
        hosts: Record<string, Record<string, Record<string, unknown>>>
      }[]
    }>('GET', '/v2.1/os-availability-zone/detail')
    const byZone = new Map(detail.body.availabilityZoneInfo.map((z) => [z.zoneName, z.hosts]))
    expect([...byZone.keys()].sort()).toEqual(['az1', 'internal', 'nova'])
    expect(Object.keys(byZone.get('az1')!)).toEqual(['compute3'])
    expect(Object.keys(byZone.get('nova')!).sort()).toEqual(['compute1', 'compute2'])
    expect(byZone.get('az1')!.compute3!['nova-compute']).toMatchObject({ available: true, active: true })
    expect(Object.keys(byZone.get('internal')!.controller!).sort()).toEqual([
      'nova-conductor',
      'nova-scheduler',
    ])
    // os-services shows the same zones.
    const services = await admin.request<{ services: { host: string; binary: string; zone: string }[] }>(
      'GET',
      '/v2.1/os-services',
    )
    const zoneOf = (host: string, binary: string) =>
      services.body.services.find((s) => s.host === host && s.binary === binary)?.zone
    expect(zoneOf('compute3', 'nova-compute')).toBe('az1')
    expect(zoneOf('compute1', 'nova-compute')).toBe('nova')
    expect(zoneOf('controller', 'nova-scheduler')).toBe('internal')

    const inZone = []
    for (let i = 0; i < 3; i++) inZone.push(await boot(`z-${i}`, { availability_zone: 'az1' }))
    for (const id of inZone) expect(await placed(id)).toEqual({ host: 'compute3', zone: 'az1' })
    const plain = await boot('plain', { availability_zone: 'nova' })
    const p = await placed(plain)
    expect(['compute1', 'compute2']).toContain(p.host)
    expect(p.zone).toBe('nova')

    const nowhere = await alice.request('POST', '/v2.1/servers', {
      server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none', availability_zone: 'az9' },
    })
    expect(nowhere.status).toBe(400)
    expect(nowhere.body).toEqual({
      badRequest: { code: 400, message: 'The requested availability zone is not available' },
    })

    // A host with servers cannot change zone, nor can its aggregate.
    const move = await action(zone.id, { remove_host: { host: 'compute3' } })
    expect(move.status).toBe(409)
    expect(
      (move.body as unknown as { conflictingRequest: { message: string } }).conflictingRequest.message,
    ).toContain(
      "the availability zone of the host would change from 'az1' to 'None' but the host already has 3 instance(s)",
    )
    const rename = await admin.request('PUT', agg(zone.id), { aggregate: { availability_zone: 'az2' } })
    expect(rename.status).toBe(400)
    expect(rename.body).toEqual({
      badRequest: {
        code: 400,
        message: `Cannot update aggregate ${zone.id}. Reason: One or more hosts contain instances in this zone.`,
      },
    })

    await cleanup([...inZone, plain])
    await action(zone.id, { remove_host: { host: 'compute3' } })
    await admin.request('DELETE', agg(zone.id))
  })

  it('filter_tenant_id metadata keeps other projects off an aggregate’s hosts', async () => {
    const reserved = await createAggregate('reserved')
    await action(reserved.id, { add_host: { host: 'compute1' } })
    await action(reserved.id, { add_host: { host: 'compute2' } })
    await action(reserved.id, { set_metadata: { metadata: { filter_tenant_id: 'project-b' } } })
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await boot(`t-${i}`))
    for (const id of ids) expect((await placed(id)).host).toBe('compute3')
    const bob = admin.as('bob:project-b', '2.41')
    const bobs = await boot('b', { availability_zone: 'nova' }, bob)
    expect((await placed(bobs)).host).not.toBe(undefined)
    await cleanup([...ids, bobs])
    for (const h of ['compute1', 'compute2']) await action(reserved.id, { remove_host: { host: h } })
    await admin.request('DELETE', agg(reserved.id))
  })

  it('admin placement: az:host[:node] forces a host, non-admins may not', async () => {
    const forced = []
    for (let i = 0; i < 3; i++)
      forced.push(await boot(`f-${i}`, { availability_zone: 'nova:compute2' }, admin))
    for (const id of forced) expect(await placed(id)).toEqual({ host: 'compute2', zone: 'nova' })
    const node = await boot('node', { availability_zone: 'nova:compute1:compute1' }, admin)
    expect((await placed(node)).host).toBe('compute1')
    const onlyNode = await boot('only-node', { availability_zone: 'nova::compute3' }, admin)
    expect((await placed(onlyNode)).host).toBe('compute3')

    const denied = await alice.request('POST', '/v2.1/servers', {
      server: {
        name: 'x',
        flavorRef: '1',
        imageRef: IMAGE,
        networks: 'none',
        availability_zone: 'nova:compute2',
      },
    })
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.",
      },
    })
    const unparsable = await admin.request('POST', '/v2.1/servers', {
      server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none', availability_zone: 'a:b:c:d' },
    })
    expect(unparsable.status).toBe(400)
    expect(unparsable.body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: Unable to parse availability_zone' },
    })

    // Still checked by the filters: a forced host whose service is disabled is no host at all.
    const v253 = admin.as('admin:admin', '2.53')
    const services = await v253.request<{ services: { id: string; host: string }[] }>(
      'GET',
      '/v2.1/os-services?binary=nova-compute',
    )
    const c2 = services.body.services.find((s) => s.host === 'compute2')!
    await v253.request('PUT', `/v2.1/os-services/${c2.id}`, { status: 'disabled', disabled_reason: 'maint' })
    const refused = await boot('refused', { availability_zone: 'nova:compute2' }, admin)
    const s = await settled(refused)
    expect(s.status).toBe('ERROR')
    expect((s.fault as { message: string }).message).toBe(
      'No valid host was found. There are not enough hosts available. force_hosts removed 2 of 3 hosts: forced to compute2; ComputeFilter removed 1 of 1 hosts: 1 disabled (maint).',
    )
    await v253.request('PUT', `/v2.1/os-services/${c2.id}`, { status: 'enabled' })
    await cleanup([...forced, node, onlyNode, refused])
  })

  it('2.74: host / hypervisor_hostname request a host, checked as Nova does', async () => {
    const v274 = admin.as('admin:admin', '2.74')
    const id = await boot('req', { host: 'compute3' }, v274)
    expect((await placed(id)).host).toBe('compute3')
    const byNode = await boot('req-node', { hypervisor_hostname: 'compute1' }, v274)
    expect((await placed(byNode)).host).toBe('compute1')

    const server = (extra: Record<string, unknown>) => ({
      server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none', ...extra },
    })
    const unknown = await v274.request('POST', '/v2.1/servers', server({ host: 'nope' }))
    expect(unknown.status).toBe(400)
    expect(unknown.body).toEqual({
      badRequest: { code: 400, message: 'Compute host nope could not be found.' },
    })
    const early = await admin
      .as('admin:admin', '2.73')
      .request('POST', '/v2.1/servers', server({ host: 'compute3' }))
    expect(early.status).toBe(400)
    const notAdmin = await alice
      .as('alice:project-a', '2.74')
      .request('POST', '/v2.1/servers', server({ host: 'compute3' }))
    expect(notAdmin.status).toBe(403)
    expect(notAdmin.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow compute:servers:create:requested_destination to be performed.",
      },
    })
    const both = await v274.request(
      'POST',
      '/v2.1/servers',
      server({ host: 'compute3', availability_zone: 'nova:compute3' }),
    )
    expect(both.status).toBe(400)
    expect(both.body).toEqual({
      badRequest: {
        code: 400,
        message:
          'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
      },
    })
    await cleanup([id, byNode])
  })
})
