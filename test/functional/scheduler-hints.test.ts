/**
 * Scheduler hints through the REST API: `target_cell` (by cell name or uuid; unknown, cell0 and
 * disabled cells refused with 400; another cell's hosts only), and `build_near_host_ip` / `cidr`
 * with SimpleCIDRAffinityFilter enabled, against hosts reporting their `[DEFAULT] my_ip`.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { CELL0_UUID } from '../../src/objects/cell-mapping.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

/** compute1 takes the cloud's my_ip; compute2 is started with its own address. */
const COMPUTE1_IP = '192.0.2.10'
const COMPUTE2_IP = '198.51.100.20'

interface Fault {
  readonly code: number
  readonly message: string
}

describeBackends('scheduler hints over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient
  let cellUuid: string

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: ['compute1'],
      config: {
        DEFAULT: { my_ip: COMPUTE1_IP },
        filter_scheduler: {
          enabled_filters:
            'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter,SimpleCIDRAffinityFilter',
        },
      },
    })
    await startCompute(cloud.runtime, { host: 'compute2', hostIp: COMPUTE2_IP })
    cellUuid = (await cloud.runtime.localCell()).mapping.uuid
    admin = new ComputeClient(cloud.url, 'admin:admin')
    alice = admin.as('alice:project-a')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const hints = (h: Record<string, unknown>) => ({ 'os:scheduler_hints': h })

  function create(name: string, schedulerHints: Record<string, unknown>) {
    return alice.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: { name, flavorRef: '1', imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb', networks: 'none' },
      ...hints(schedulerHints),
    })
  }

  async function boot(name: string, schedulerHints: Record<string, unknown>): Promise<string> {
    const res = await create(name, schedulerHints)
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    return res.body.server.id
  }

  /**
   * Wait for a server to settle: its status, host and fault. (The conductor creates a server it
   * found no host for in ERROR first and adds the fault after, so an ERROR waits for its fault.)
   */
  async function settled(id: string): Promise<{ status: string; host?: string; fault?: Fault }> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = (await admin.getServer(id)).body.server
      if (s.status === 'ACTIVE' || (s.status === 'ERROR' && s.fault)) {
        return {
          status: s.status,
          host: s['OS-EXT-SRV-ATTR:host'] as string | undefined,
          fault: s.fault as Fault | undefined,
        }
      }
      if (Date.now() > deadline) throw new Error(`server ${id} still ${String(s.status)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async function expect400(schedulerHints: Record<string, unknown>, message: string): Promise<void> {
    const res = await create('refused', schedulerHints)
    expect(res.body).toEqual({ badRequest: { code: 400, message } })
    expect(res.status).toBe(400)
  }

  async function cleanup(ids: string[]) {
    await Promise.all(ids.map((id) => alice.request('DELETE', `/v2.1/servers/${id}`)))
    await alice.waitForGone(ids)
  }

  it('compute nodes report [DEFAULT] my_ip as host_ip (os-hypervisors)', async () => {
    const res = await admin.request<{ hypervisors: { hypervisor_hostname: string; host_ip: string }[] }>(
      'GET',
      '/v2.1/os-hypervisors/detail',
    )
    const byHost = Object.fromEntries(res.body.hypervisors.map((h) => [h.hypervisor_hostname, h.host_ip]))
    expect(byHost).toEqual({ compute1: COMPUTE1_IP, compute2: COMPUTE2_IP })
  })

  it('target_cell by name and by uuid boots in that cell', async () => {
    const byName = await boot('by-name', { target_cell: 'cell1' })
    const byUuid = await boot('by-uuid', { target_cell: cellUuid })
    const byUpperUuid = await boot('by-upper-uuid', { target_cell: cellUuid.toUpperCase() })
    for (const id of [byName, byUuid, byUpperUuid]) expect((await settled(id)).status).toBe('ACTIVE')
    await cleanup([byName, byUuid, byUpperUuid])
  })

  it('target_cell naming no cell, cell0, a disabled cell or not a name: 400', async () => {
    await expect400({ target_cell: 'cell9' }, 'target_cell cell9 is not the uuid or name of any cell.')
    await expect400(
      { target_cell: CELL0_UUID },
      'target_cell cannot be cell0: it only holds servers that could not be scheduled.',
    )
    const disabled = randomUUID()
    const api = cloud.runtime.apiStore()
    await api.upsertCell({
      uuid: disabled,
      name: 'closed',
      transport_url: 'none:///',
      database_connection: `sqlite:///nowhere-${disabled}`,
    })
    await api.db.kysely
      .updateTable('cell_mappings')
      .set({ disabled: true })
      .where('uuid', '=', disabled)
      .execute()
    await expect400({ target_cell: 'closed' }, 'Cell closed is disabled: no server can be scheduled to it.')
    await expect400(
      { target_cell: 42 },
      "Invalid input for field/attribute target_cell. Value: 42. 42 is not of type 'string'",
    )
    await expect400(
      { target_cell: '' },
      "Invalid input for field/attribute target_cell. Value: . '' is too short",
    )
  })

  it('target_cell naming another cell: no host of this one is considered', async () => {
    const other = randomUUID()
    await cloud.runtime.apiStore().upsertCell({
      uuid: other,
      name: 'cell2',
      transport_url: 'none:///',
      database_connection: `sqlite:///elsewhere-${other}`,
    })
    const id = await boot('elsewhere', { target_cell: 'cell2' })
    const s = await settled(id)
    expect(s.status).toBe('ERROR')
    expect(s.fault?.message).toBe(
      `No valid host was found. There are not enough hosts available. requested_destination removed 2 of 2 hosts: requested cell cell2 (${other}).`,
    )
    await cleanup([id])
  })

  it('build_near_host_ip places on the host in the network (default cidr /24)', async () => {
    const near1 = await boot('near-1', { build_near_host_ip: '192.0.2.99' })
    const near2 = await boot('near-2', { build_near_host_ip: '198.51.100.1', cidr: '/24' })
    const wide = await boot('near-wide', { build_near_host_ip: '192.7.7.7', cidr: '/8' })
    expect((await settled(near1)).host).toBe('compute1')
    expect((await settled(near2)).host).toBe('compute2')
    expect((await settled(wide)).host).toBe('compute1')
    await cleanup([near1, near2, wide])
  })

  it('build_near_host_ip far from every host: ERROR, the fault says why', async () => {
    const far = await boot('far', { build_near_host_ip: '203.0.113.5' })
    const v6 = await boot('far-v6', { build_near_host_ip: '2001:db8::1', cidr: '/0' })
    // Nova's schema lets /33 through; its scheduler then fails on the network, this one refuses every host.
    const badPrefix = await boot('bad-prefix', { build_near_host_ip: '192.0.2.1', cidr: '/33' })
    const prefix =
      'No valid host was found. There are not enough hosts available. SimpleCIDRAffinityFilter removed 2 of 2 hosts:'
    expect(await settled(far)).toMatchObject({
      status: 'ERROR',
      fault: { message: `${prefix} host_ip ${COMPUTE1_IP}, ${COMPUTE2_IP} not in 203.0.113.5/24.` },
    })
    expect((await settled(v6)).fault?.message).toBe(
      `${prefix} host_ip ${COMPUTE1_IP}, ${COMPUTE2_IP} not in 2001:db8::1/0.`,
    )
    expect((await settled(badPrefix)).fault?.message).toBe(
      `${prefix} build_near_host_ip 192.0.2.1 with cidr /33 is not a valid IP network.`,
    )
    await cleanup([far, v6, badPrefix])
  })

  it('build_near_host_ip and cidr that Nova’s schema refuses: 400', async () => {
    await expect400(
      { build_near_host_ip: 'near.example.com' },
      "Invalid input for field/attribute build_near_host_ip. Value: near.example.com. 'near.example.com' is not valid under any of the given schemas",
    )
    await expect400(
      { build_near_host_ip: ['192.0.2.1'] },
      "Invalid input for field/attribute build_near_host_ip. Value: ['192.0.2.1']. ['192.0.2.1'] is not of type 'string'",
    )
    await expect400(
      { build_near_host_ip: '192.0.2.1', cidr: '24' },
      "Invalid input for field/attribute cidr. Value: 24. '24' does not match '^/[0-9a-f.:]+$'",
    )
  })
})
