/**
 * Scheduling through the REST API: scheduler hints (same_host, different_host, query), the
 * requested availability zone, and the no-valid-host fault saying which filter removed which
 * hosts and why.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

const HOSTS = ['compute1', 'compute2', 'compute3']

describeBackends('scheduling over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: HOSTS,
      config: {
        // 3 vCPUs × 4.0 = 12 schedulable vCPUs, and 20000 - 512 = 19488 MB, per host.
        fake: { vcpus: '3', memory_mb: '20000' },
        filter_scheduler: {
          enabled_filters:
            'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter,JsonFilter,NumInstancesFilter,IoOpsFilter',
        },
      },
    })
    admin = new ComputeClient(cloud.url, 'admin:admin')
    alice = admin.as('alice:project-a')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const hostOf = async (id: string): Promise<string> =>
    (await admin.waitForStatus([id], 'ACTIVE'))[0]!['OS-EXT-SRV-ATTR:host'] as string

  /** Wait for a server to settle; answer its status and fault. */
  async function settled(id: string): Promise<{ status: string; fault?: { code: number; message: string } }> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = (await alice.getServer(id)).body.server
      if (s.status === 'ACTIVE' || s.status === 'ERROR') return s as { status: string; fault?: never }
      if (Date.now() > deadline) throw new Error(`server ${id} still ${s.status}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const hints = (h: Record<string, unknown>) => ({ 'os:scheduler_hints': h })

  async function createWith(name: string, server: Record<string, unknown>, top: Record<string, unknown>) {
    const res = await alice.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: {
        name,
        flavorRef: '1',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
        ...server,
      },
      ...top,
    })
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    return res.body.server.id
  }

  async function cleanup(ids: string[]) {
    await Promise.all(ids.map((id) => alice.request('DELETE', `/v2.1/servers/${id}`)))
    await alice.waitForGone(ids)
  }

  it('same_host puts servers beside the named one, though spreading would not', async () => {
    const anchor = await alice.createServer('anchor')
    const host = await hostOf(anchor)
    const ids = []
    for (let i = 0; i < 3; i++) ids.push(await createWith(`beside-${i}`, {}, hints({ same_host: [anchor] })))
    for (const id of ids) expect(await hostOf(id)).toBe(host)
    // A single uuid (not a list) works too.
    const one = await createWith('beside-one', {}, hints({ same_host: anchor }))
    expect(await hostOf(one)).toBe(host)
    await cleanup([anchor, ...ids, one])
  })

  it('different_host keeps servers off the named ones’ hosts', async () => {
    const a = await alice.createServer('a')
    const b = await alice.createServer('b')
    const avoid = new Set([await hostOf(a), await hostOf(b)])
    expect(avoid.size).toBe(2) // spread
    const ids = []
    for (let i = 0; i < 3; i++)
      ids.push(await createWith(`apart-${i}`, {}, hints({ different_host: [a, b] })))
    for (const id of ids) expect(avoid.has(await hostOf(id))).toBe(false)
    await cleanup([a, b, ...ids])
  })

  it('same_host naming a server that is on no host: ERROR, and the fault says so', async () => {
    const ghost = '6f1ee6a0-5a0a-4c52-bd7b-7d2d3a2b4b3c'
    const id = await createWith('lonely', {}, hints({ same_host: [ghost] }))
    const s = await settled(id)
    expect(s.status).toBe('ERROR')
    expect(s.fault).toMatchObject({ code: 500 })
    expect(s.fault!.message).toBe(
      `No valid host was found. There are not enough hosts available. SameHostFilter removed 3 of 3 hosts: same_host instance(s) ${ghost} run on no host.`,
    )
    await cleanup([id])
  })

  it('a JSON query hint picks hosts by their state', async () => {
    const a = await alice.createServer('q-anchor')
    const host = await hostOf(a)
    const id = await createWith('q', {}, hints({ query: JSON.stringify(['=', '$host', host]) }))
    expect(await hostOf(id)).toBe(host)
    const none = await createWith('q-none', {}, hints({ query: '[">=", "$free_ram_mb", 1000000]' }))
    const s = await settled(none)
    expect(s.status).toBe('ERROR')
    expect(s.fault!.message).toBe(
      'No valid host was found. There are not enough hosts available. JsonFilter removed 3 of 3 hosts: they do not match the query [">=", "$free_ram_mb", 1000000].',
    )
    await cleanup([a, id, none])
  })

  it('the default availability zone "nova" is every host; another zone is none', async () => {
    const ok = await createWith('in-nova', { availability_zone: 'nova' }, {})
    expect(HOSTS).toContain(await hostOf(ok))
    // As Nova, the API refuses a zone no enabled service is in (the AvailabilityZoneFilter's
    // own message is for zones that vanish between the API and the scheduler: unit tests).
    const other = await alice.request('POST', '/v2.1/servers', {
      server: {
        name: 'in-other',
        flavorRef: '1',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
        availability_zone: 'other',
      },
    })
    expect(other.status).toBe(400)
    expect(other.body).toEqual({
      badRequest: { code: 400, message: 'The requested availability zone is not available' },
    })
    await cleanup([ok])
  })

  it('names each filter that removed hosts, with how many and why', async () => {
    // m1.xlarge wants 8 vCPUs and 16384 MB. compute1: an m1.large (4 vCPUs, 8192 MB) leaves
    // 8 vCPUs but 11296 MB. compute2: five m1.tiny (1 vCPU, 512 MB) leave 16928 MB but 7 vCPUs.
    const on = (host: string) => hints({ query: JSON.stringify(['=', '$host', host]) })
    const fill = [await createWith('ram-1', { flavorRef: '4' }, on('compute1'))]
    for (let i = 0; i < 5; i++) fill.push(await createWith(`cpu-${i}`, { flavorRef: '1' }, on('compute2')))
    await admin.waitForStatus(fill, 'ACTIVE')
    // compute3's service is disabled.
    const services = await admin
      .as('admin:admin', '2.53')
      .request<{ services: { id: string; host: string }[] }>('GET', '/v2.1/os-services?binary=nova-compute')
    const c3 = services.body.services.find((s) => s.host === 'compute3')!
    await admin
      .as('admin:admin', '2.53')
      .request('PUT', `/v2.1/os-services/${c3.id}`, { status: 'disabled', disabled_reason: 'maintenance' })
    const big = await createWith('big', { flavorRef: '5' }, {})
    const s = await settled(big)
    expect(s.status).toBe('ERROR')
    const full =
      'No valid host was found. There are not enough hosts available. CoreFilter removed 1 of 3 hosts: needs 8 VCPU, most free is 7; ' +
      'RamFilter removed 1 of 2 hosts: needs 16384 MB, most free is 11296 MB; ComputeFilter removed 1 of 1 hosts: 1 disabled (maintenance).'
    // The fault message is Nova's 255 characters; admins see the whole text in the details.
    expect(s.fault!.message).toBe(full.slice(0, 255))
    const asAdmin = (await admin.getServer(big)).body.server.fault as { details?: string }
    expect(asAdmin.details).toContain(full)
    await admin.as('admin:admin', '2.53').request('PUT', `/v2.1/os-services/${c3.id}`, { status: 'enabled' })
    await cleanup([...fill, big])
  })
})
