/**
 * The admin view of the control plane through the REST API, on each backend pair: os-services
 * (list, enable/disable, force down, delete), os-hypervisors, the scheduler honouring disabled and
 * forced-down hosts, heartbeats going stale, and `tsnova service list`.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'
import { writeConfig } from '../harness/processes.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const NOVA_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/
const SERVICE_KEYS = ['binary', 'disabled_reason', 'host', 'id', 'state', 'status', 'updated_at', 'zone']
const HYPERVISOR_KEYS = ['hypervisor_hostname', 'id', 'state', 'status']
const DETAIL_KEYS = [...HYPERVISOR_KEYS, 'host_ip', 'hypervisor_type', 'hypervisor_version', 'service']
const USAGE_KEYS = [
  'cpu_info',
  'current_workload',
  'disk_available_least',
  'free_disk_gb',
  'free_ram_mb',
  'local_gb',
  'local_gb_used',
  'memory_mb',
  'memory_mb_used',
  'running_vms',
  'vcpus',
  'vcpus_used',
]
const sorted = (keys: readonly string[]) => [...keys].sort()

type Service = Record<string, unknown> & { id: number | string; binary: string; host: string }
type Hypervisor = Record<string, unknown> & { id: number | string; hypervisor_hostname: string }

async function services(client: ComputeClient, query = ''): Promise<Service[]> {
  const res = await client.request<{ services: Service[] }>('GET', `/v2.1/os-services${query}`)
  expect(res.status).toBe(200)
  return res.body.services
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describeBackends('os-services and os-hypervisors over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let v21: ComputeClient
  let v253: ComputeClient
  let latest: ComputeClient
  let alice: ComputeClient
  /** nova-compute uuid by host */
  const computeUuid = new Map<string, string>()

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: ['compute1', 'compute2'],
      // Only the report at start-up: the usage os-hypervisors shows stays what the test expects.
      config: { DEFAULT: { update_resources_interval: '0' } },
    })
    admin = new ComputeClient(cloud.url)
    v21 = admin.as('admin:admin', '2.1')
    v253 = admin.as('admin:admin', '2.53')
    latest = admin.as('admin:admin', 'latest')
    alice = admin.as('alice:project-a')
    for (const s of await services(latest, '?binary=nova-compute')) computeUuid.set(s.host, s.id as string)
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  /** Boot `n` servers as alice and answer the host each landed on; then delete them all. */
  async function bootHosts(n: number): Promise<string[]> {
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => alice.createServer(`svc-${i}`)))
    const servers = await admin.waitForStatus(ids, 'ACTIVE')
    await Promise.all(ids.map((id) => alice.request('DELETE', `/v2.1/servers/${id}`)))
    await alice.waitForGone(ids)
    return servers.map((s) => s['OS-EXT-SRV-ATTR:host'] as string)
  }

  it('lists the services with their zone and state, as Nova at 2.1 and at the latest version', async () => {
    const old = await services(v21)
    expect(old.map((s) => `${s.binary}@${s.host}`).sort()).toEqual([
      'nova-compute@compute1',
      'nova-compute@compute2',
      'nova-conductor@controller',
      'nova-scheduler@controller',
    ])
    for (const s of old) {
      expect(sorted(Object.keys(s))).toEqual(sorted(SERVICE_KEYS))
      expect(s).toMatchObject({
        id: expect.any(Number),
        zone: s.binary === 'nova-compute' ? 'nova' : 'internal',
        status: 'enabled',
        state: 'up',
        disabled_reason: null,
      })
      expect(s.updated_at).toMatch(NOVA_TIME)
    }
    // Ids ascend as the rows were created: conductor, scheduler, then the computes.
    expect(old.map((s) => s.id)).toEqual([...old.map((s) => s.id as number)].sort((a, b) => a - b))

    const now = await services(latest)
    expect(now).toHaveLength(4)
    for (const s of now) {
      expect(sorted(Object.keys(s))).toEqual(sorted([...SERVICE_KEYS, 'forced_down']))
      expect(s.id).toMatch(UUID)
      expect(s.forced_down).toBe(false)
    }
    // forced_down appears at 2.11; ids stay integers until 2.53.
    const v211 = await services(admin.as('admin:admin', '2.11'))
    expect(v211[0]).toMatchObject({ id: expect.any(Number), forced_down: false })

    expect((await services(v21, '?host=compute1')).map((s) => s.binary)).toEqual(['nova-compute'])
    expect((await services(v21, '?binary=nova-compute')).map((s) => s.host).sort()).toEqual([
      'compute1',
      'compute2',
    ])
    expect((await services(v21, '?host=controller&binary=nova-conductor')).length).toBe(1)
    expect(await services(v21, '?host=nowhere')).toEqual([])
    // 2.75 rejects query parameters it does not know.
    const strict = await latest.request('GET', '/v2.1/os-services?foo=bar')
    expect(strict.status).toBe(400)
    expect(strict.body).toEqual({
      badRequest: { code: 400, message: "Additional properties are not allowed ('foo' was unexpected)" },
    })
  })

  it('is for admins only', async () => {
    const member = alice.as('alice:project-a', '2.53')
    const cases: [string, string, unknown, string][] = [
      ['GET', '/v2.1/os-services', undefined, 'os_compute_api:os-services:list'],
      [
        'PUT',
        `/v2.1/os-services/${computeUuid.get('compute1')}`,
        { status: 'disabled' },
        'os_compute_api:os-services:update',
      ],
      [
        'DELETE',
        `/v2.1/os-services/${computeUuid.get('compute1')}`,
        undefined,
        'os_compute_api:os-services:delete',
      ],
      ['GET', '/v2.1/os-hypervisors', undefined, 'os_compute_api:os-hypervisors:list'],
      ['GET', '/v2.1/os-hypervisors/detail', undefined, 'os_compute_api:os-hypervisors:list-detail'],
      ['GET', '/v2.1/os-hypervisors/statistics', undefined, 'os_compute_api:os-hypervisors:statistics'],
    ]
    for (const [method, url, body, rule] of cases) {
      const res = await member.request(method, url, body)
      expect(res.status, `${method} ${url}`).toBe(403)
      expect(res.body).toEqual({
        forbidden: { code: 403, message: `Policy doesn't allow ${rule} to be performed.` },
      })
    }
    // The project in the URL does not change who may ask.
    const prefixed = await alice.request('GET', '/v2.1/project-a/os-services')
    expect(prefixed.status).toBe(403)
    const asAdmin = await admin.request<{ services: unknown[] }>('GET', '/v2.1/admin/os-services')
    expect(asAdmin.body.services).toHaveLength(4)
    expect((await services(latest)).every((s) => s.status === 'enabled')).toBe(true)
  })

  it('disables, enables and forces down a nova-compute by uuid (2.53)', async () => {
    const id = computeUuid.get('compute1')!
    const disabled = await v253.request<{ service: Service }>('PUT', `/v2.1/os-services/${id}`, {
      status: 'disabled',
      disabled_reason: 'maintenance',
    })
    expect(disabled.status).toBe(200)
    expect(sorted(Object.keys(disabled.body.service))).toEqual(sorted([...SERVICE_KEYS, 'forced_down']))
    expect(disabled.body.service).toMatchObject({
      id,
      binary: 'nova-compute',
      host: 'compute1',
      zone: 'nova',
      status: 'disabled',
      state: 'up',
      disabled_reason: 'maintenance',
      forced_down: false,
    })
    expect((await services(v21, '?host=compute1'))[0]).toMatchObject({
      status: 'disabled',
      disabled_reason: 'maintenance',
    })

    const enabled = await v253.request<{ service: Service }>('PUT', `/v2.1/os-services/${id}`, {
      status: 'enabled',
    })
    expect(enabled.body.service).toMatchObject({ status: 'enabled', disabled_reason: null, state: 'up' })

    const forced = await v253.request<{ service: Service }>('PUT', `/v2.1/os-services/${id}`, {
      forced_down: true,
    })
    expect(forced.body.service).toMatchObject({ status: 'enabled', state: 'down', forced_down: true })
    expect((await services(latest, '?host=compute1'))[0]).toMatchObject({ state: 'down', forced_down: true })
    const back = await v253.request<{ service: Service }>('PUT', `/v2.1/os-services/${id}`, {
      forced_down: 'false',
    })
    expect(back.body.service).toMatchObject({ state: 'up', forced_down: false })
  })

  it('refuses 2.53 updates Nova refuses', async () => {
    const conductor = (await services(latest, '?binary=nova-conductor'))[0]!
    const api = await (await cloud.runtime.localCell()).store.services.find(
      'controller',
      'nova-osapi_compute',
    )
    const id = computeUuid.get('compute2')!
    const missing = '5c6d1bdc-8ee0-4c49-a630-1efc5e0904f8'
    const cases: [string, unknown, number, string][] = [
      [
        conductor.id as string,
        { status: 'disabled' },
        400,
        'Updating a nova-conductor service is not supported. Only nova-compute services can be updated.',
      ],
      [
        api!.uuid,
        { status: 'disabled' },
        400,
        'Updating a nova-osapi_compute service is not supported. Only nova-compute services can be updated.',
      ],
      [missing, { status: 'disabled' }, 404, `Service ${missing} could not be found.`],
      ['not-a-uuid', { status: 'disabled' }, 400, 'Invalid uuid not-a-uuid'],
      [id, {}, 400, "No updates were requested. Fields 'status' or 'forced_down' should be specified."],
      [
        id,
        { status: 'enabled', disabled_reason: 'x' },
        400,
        "Specifying 'disabled_reason' with status 'enabled' is invalid.",
      ],
      [
        id,
        { status: 'off' },
        400,
        "Invalid input for field/attribute status. Value: off. 'off' is not one of ['enabled', 'disabled']",
      ],
      [id, { host: 'compute2' }, 400, "Additional properties are not allowed ('host' was unexpected)"],
    ]
    for (const [target, body, code, message] of cases) {
      const res = await v253.request('PUT', `/v2.1/os-services/${target}`, body)
      expect(res.status, JSON.stringify(body)).toBe(code)
      expect(Object.values(res.body)[0]).toEqual({ code, message })
    }
    // Before 2.53 the path names an action, not a service.
    const legacyOnly = await v253.request('PUT', '/v2.1/os-services/disable', {
      host: 'compute2',
      binary: 'nova-compute',
    })
    expect(legacyOnly.status).toBe(400)
    expect((await services(latest)).every((s) => s.status === 'enabled' && s.state === 'up')).toBe(true)
  })

  it('takes the actions before 2.53: enable, disable, disable-log-reason, force-down', async () => {
    const target = { host: 'compute2', binary: 'nova-compute' }
    const disable = await v21.request('PUT', '/v2.1/os-services/disable', target)
    expect(disable.status).toBe(200)
    expect(disable.body).toEqual({ service: { ...target, status: 'disabled' } })
    const withReason = await v21.request('PUT', '/v2.1/os-services/disable-log-reason', {
      ...target,
      disabled_reason: 'new disks',
    })
    expect(withReason.body).toEqual({
      service: { ...target, status: 'disabled', disabled_reason: 'new disks' },
    })
    expect((await services(v21, '?host=compute2'))[0]).toMatchObject({
      status: 'disabled',
      disabled_reason: 'new disks',
    })
    const enable = await v21.request('PUT', '/v2.1/os-services/enable', target)
    expect(enable.body).toEqual({ service: { ...target, status: 'enabled' } })
    expect((await services(v21, '?host=compute2'))[0]).toMatchObject({
      status: 'enabled',
      disabled_reason: null,
    })

    const v211 = admin.as('admin:admin', '2.11')
    const down = await v211.request('PUT', '/v2.1/os-services/force-down', { ...target, forced_down: true })
    expect(down.body).toEqual({ service: { ...target, forced_down: true } })
    expect((await services(v211, '?host=compute2'))[0]).toMatchObject({ state: 'down', forced_down: true })
    const up = await v211.request('PUT', '/v2.1/os-services/force-down', { ...target, forced_down: false })
    expect(up.body).toEqual({ service: { ...target, forced_down: false } })
    expect((await services(v211, '?host=compute2'))[0]).toMatchObject({ state: 'up', forced_down: false })

    const errors: [ComputeClient, string, unknown, number, string][] = [
      [v21, 'force-down', { ...target }, 404, 'Unknown action'],
      [v211, 'force-down', { ...target }, 400, 'Missing forced_down field'],
      [v21, 'disable-log-reason', { ...target }, 400, 'Missing disabled reason field'],
      [v21, 'reboot', { ...target }, 404, 'Unknown action'],
      [v21, 'disable', { host: 'compute2' }, 400, "'binary' is a required property"],
      [
        v21,
        'disable',
        { host: 'controller', binary: 'nova-scheduler' },
        400,
        'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.',
      ],
      [
        v21,
        'disable',
        { host: 'nowhere', binary: 'nova-compute' },
        404,
        "Host 'nowhere' is not mapped to any cell",
      ],
    ]
    for (const [client, action, body, code, message] of errors) {
      const res = await client.request('PUT', `/v2.1/os-services/${action}`, body)
      expect(res.status, `${action} ${JSON.stringify(body)}`).toBe(code)
      expect(Object.values(res.body)[0]).toEqual({ code, message })
    }
  })

  it('schedules only on enabled hosts that are up', async () => {
    const put = (host: string, body: unknown) =>
      v253.request('PUT', `/v2.1/os-services/${computeUuid.get(host)}`, body)

    expect((await put('compute1', { status: 'disabled', disabled_reason: 'draining' })).status).toBe(200)
    const stats = await v21.request<{ hypervisor_statistics: { count: number } }>(
      'GET',
      '/v2.1/os-hypervisors/statistics',
    )
    expect(stats.body.hypervisor_statistics.count).toBe(1) // disabled hosts are not counted
    expect(new Set(await bootHosts(6))).toEqual(new Set(['compute2']))
    expect((await put('compute1', { status: 'enabled' })).status).toBe(200)

    expect((await put('compute2', { forced_down: true })).status).toBe(200)
    expect(new Set(await bootHosts(6))).toEqual(new Set(['compute1']))
    expect((await put('compute2', { forced_down: false })).status).toBe(200)

    expect(new Set(await bootHosts(6))).toEqual(new Set(['compute1', 'compute2']))
  })

  it('shows hypervisors as Nova at 2.1', async () => {
    const list = await v21.request<{ hypervisors: Hypervisor[] }>('GET', '/v2.1/os-hypervisors')
    expect(list.status).toBe(200)
    expect(list.body.hypervisors.map((h) => h.hypervisor_hostname)).toEqual(['compute1', 'compute2'])
    for (const h of list.body.hypervisors) {
      expect(sorted(Object.keys(h))).toEqual(sorted(HYPERVISOR_KEYS))
      expect(h).toMatchObject({ id: expect.any(Number), state: 'up', status: 'enabled' })
    }
    expect(list.body).not.toHaveProperty('hypervisors_links')

    const detail = await v21.request<{ hypervisors: Hypervisor[] }>('GET', '/v2.1/os-hypervisors/detail')
    const oldServices = await services(v21, '?binary=nova-compute')
    for (const h of detail.body.hypervisors) {
      expect(sorted(Object.keys(h))).toEqual(sorted([...DETAIL_KEYS, ...USAGE_KEYS]))
      const service = oldServices.find((s) => s.host === h.hypervisor_hostname)!
      expect(h).toMatchObject({
        hypervisor_type: 'fake',
        hypervisor_version: 1000,
        service: { id: service.id, host: h.hypervisor_hostname, disabled_reason: null },
        vcpus: 1000,
        memory_mb: 800000,
        local_gb: 600000,
        memory_mb_used: 512, // the reserved host memory
        free_ram_mb: 800000 - 512,
        running_vms: 0,
      })
      expect(typeof h.cpu_info).toBe('string')
      expect(JSON.parse(h.cpu_info as string)).toMatchObject({ arch: 'x86_64' })
    }

    const first = detail.body.hypervisors[0]!
    const show = await v21.request<{ hypervisor: Hypervisor }>('GET', `/v2.1/os-hypervisors/${first.id}`)
    expect(show.body.hypervisor).toEqual(first)
    const atV228 = await admin
      .as('admin:admin', '2.28')
      .request<{ hypervisor: Hypervisor }>('GET', `/v2.1/os-hypervisors/${first.id}`)
    expect(atV228.body.hypervisor.cpu_info).toMatchObject({ arch: 'x86_64' })
    const missing = await v21.request('GET', '/v2.1/os-hypervisors/abc')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({
      itemNotFound: { code: 404, message: "Hypervisor with ID 'abc' could not be found." },
    })
    expect((await v21.request('GET', '/v2.1/os-hypervisors/99999')).status).toBe(404)

    const stats = await v21.request<{ hypervisor_statistics: Record<string, number> }>(
      'GET',
      '/v2.1/os-hypervisors/statistics',
    )
    expect(stats.body).toEqual({
      hypervisor_statistics: {
        count: 2,
        vcpus: 2000,
        vcpus_used: 0,
        memory_mb: 1_600_000,
        memory_mb_used: 1024,
        free_ram_mb: 1_600_000 - 1024,
        local_gb: 1_200_000,
        local_gb_used: 0,
        free_disk_gb: 1_200_000,
        disk_available_least: expect.any(Number),
        current_workload: 0,
        running_vms: 0,
      },
    })

    // Before 2.53 searches are routes of their own.
    const search = await v21.request<{ hypervisors: Hypervisor[] }>(
      'GET',
      '/v2.1/os-hypervisors/compute/search',
    )
    expect(search.body.hypervisors.map((h) => h.hypervisor_hostname)).toEqual(['compute1', 'compute2'])
    const servers = await v21.request<{ hypervisors: Hypervisor[] }>(
      'GET',
      '/v2.1/os-hypervisors/compute2/servers',
    )
    expect(servers.body.hypervisors).toEqual([list.body.hypervisors[1]]) // no servers, no key
    const none = await v21.request('GET', '/v2.1/os-hypervisors/nothing/search')
    expect(none.body).toEqual({
      itemNotFound: { code: 404, message: "No hypervisor matching 'nothing' could be found." },
    })

    // 2.33 pages with limit and marker, and links the next page.
    const v233 = admin.as('admin:admin', '2.33')
    const page1 = await v233.request<{ hypervisors: Hypervisor[]; hypervisors_links: { href: string }[] }>(
      'GET',
      '/v2.1/os-hypervisors?limit=1',
    )
    expect(page1.body.hypervisors.map((h) => h.hypervisor_hostname)).toEqual(['compute1'])
    expect(page1.body.hypervisors_links).toEqual([
      {
        rel: 'next',
        href: `${cloud.url}/v2.1/os-hypervisors?limit=1&marker=${page1.body.hypervisors[0]!.id}`,
      },
    ])
    const page2 = await v233.request<{ hypervisors: Hypervisor[] }>(
      'GET',
      new URL(page1.body.hypervisors_links[0]!.href).pathname +
        new URL(page1.body.hypervisors_links[0]!.href).search,
    )
    expect(page2.body.hypervisors.map((h) => h.hypervisor_hostname)).toEqual(['compute2'])
    const badMarker = await v233.request('GET', '/v2.1/os-hypervisors?marker=424242')
    expect(badMarker.body).toEqual({ badRequest: { code: 400, message: 'marker [424242] not found' } })
  })

  it('shows hypervisors as Nova at the latest version', async () => {
    const list = await latest.request<{ hypervisors: Hypervisor[] }>('GET', '/v2.1/os-hypervisors/detail')
    const computes = await services(latest, '?binary=nova-compute')
    expect(list.body.hypervisors).toHaveLength(2)
    for (const h of list.body.hypervisors) {
      expect(sorted(Object.keys(h))).toEqual(sorted([...DETAIL_KEYS, 'uptime']))
      expect(h.id).toMatch(UUID)
      expect(h).toMatchObject({
        state: 'up',
        status: 'enabled',
        hypervisor_type: 'fake',
        hypervisor_version: 1000,
        uptime: null,
        service: {
          id: computes.find((s) => s.host === h.hypervisor_hostname)!.id,
          host: h.hypervisor_hostname,
          disabled_reason: null,
        },
      })
    }
    const first = list.body.hypervisors[0]!
    const show = await latest.request<{ hypervisor: Hypervisor }>('GET', `/v2.1/os-hypervisors/${first.id}`)
    expect(show.body.hypervisor).toEqual(first)
    const withServers = await latest.request<{ hypervisor: Hypervisor }>(
      'GET',
      `/v2.1/os-hypervisors/${first.id}?with_servers=true`,
    )
    expect(withServers.body.hypervisor).toEqual({ ...first, servers: [] })

    const stats = await latest.request('GET', '/v2.1/os-hypervisors/statistics')
    expect(stats.status).toBe(404)
    expect(stats.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } })
    expect((await latest.request('GET', '/v2.1/os-hypervisors/compute/search')).status).toBe(404)

    const byPattern = await latest.request<{ hypervisors: Hypervisor[] }>(
      'GET',
      '/v2.1/os-hypervisors?hypervisor_hostname_pattern=compute2',
    )
    expect(byPattern.body).toEqual({
      hypervisors: [
        { id: list.body.hypervisors[1]!.id, hypervisor_hostname: 'compute2', state: 'up', status: 'enabled' },
      ],
    })
    const errors: [string, number, string][] = [
      ['/v2.1/os-hypervisors/abc', 400, 'Invalid uuid abc'],
      [
        '/v2.1/os-hypervisors/5c6d1bdc-8ee0-4c49-a630-1efc5e0904f8',
        404,
        "Hypervisor with ID '5c6d1bdc-8ee0-4c49-a630-1efc5e0904f8' could not be found.",
      ],
      [
        '/v2.1/os-hypervisors?hypervisor_hostname_pattern=zzz',
        404,
        "No hypervisor matching 'zzz' could be found.",
      ],
      [
        '/v2.1/os-hypervisors?hypervisor_hostname_pattern=compute&limit=1',
        400,
        'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.',
      ],
      ['/v2.1/os-hypervisors?foo=1', 400, "Additional properties are not allowed ('foo' was unexpected)"],
    ]
    for (const [url, code, message] of errors) {
      const res = await latest.request('GET', url)
      expect(res.status, url).toBe(code)
      expect(Object.values(res.body)[0]).toEqual({ code, message })
    }
  })

  // Last: it deletes a compute service from this cloud.
  it('deletes a compute service only once it hosts no instances', async () => {
    const id = await alice.createServer('pinned')
    const [server] = await admin.waitForStatus([id], 'ACTIVE')
    const host = server!['OS-EXT-SRV-ATTR:host'] as string
    const uuid = computeUuid.get(host)!

    const node = (
      await latest.request<{ hypervisors: Hypervisor[] }>(
        'GET',
        `/v2.1/os-hypervisors?hypervisor_hostname_pattern=${host}&with_servers=1`,
      )
    ).body.hypervisors[0]!
    expect(node.servers).toEqual([{ name: expect.stringMatching(/^instance-[0-9a-f]{8}$/), uuid: id }])

    const refused = await v253.request('DELETE', `/v2.1/os-services/${uuid}`)
    expect(refused.status).toBe(409)
    expect(refused.body).toEqual({
      conflictingRequest: {
        code: 409,
        message:
          'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
      },
    })
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])

    const deleted = await v253.request('DELETE', `/v2.1/os-services/${uuid}`)
    expect(deleted.status).toBe(204)
    expect((await services(latest)).map((s) => s.id)).not.toContain(uuid)
    // Its compute node went with it.
    const left = await latest.request<{ hypervisors: Hypervisor[] }>('GET', '/v2.1/os-hypervisors')
    expect(left.body.hypervisors.map((h) => h.hypervisor_hostname)).toEqual(
      ['compute1', 'compute2'].filter((h) => h !== host),
    )
    expect((await latest.request('GET', `/v2.1/os-hypervisors/${node.id}`)).status).toBe(404)

    const again = await v253.request('DELETE', `/v2.1/os-services/${uuid}`)
    expect(again.body).toEqual({ itemNotFound: { code: 404, message: `Service ${uuid} not found.` } })
    expect((await v253.request('DELETE', '/v2.1/os-services/42')).body).toEqual({
      badRequest: { code: 400, message: 'Invalid uuid 42' },
    })
    expect((await v21.request('DELETE', '/v2.1/os-services/abc')).body).toEqual({
      badRequest: { code: 400, message: 'Invalid input received: id must be an integer' },
    })
  })
})

const ROOT = path.resolve(import.meta.dirname, '../..')
const exec = promisify(execFile)

describeBackends('service heartbeats over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient

  beforeAll(async () => {
    // report_interval stays 1 s; a service is down after 2 s without a report.
    cloud = await startCloud({
      transport,
      db,
      hosts: ['compute1', 'compute2'],
      config: { DEFAULT: { service_down_time: '2' } },
    })
    admin = new ComputeClient(cloud.url, 'admin:admin', 'latest')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('shows a compute whose heartbeat stopped as down, and schedules around it', async () => {
    expect((await services(admin)).every((s) => s.state === 'up')).toBe(true)
    const stopped = Date.now()
    await cloud.computes.get('compute2')!.stop()
    const down = await waitFor(
      'compute2 down',
      async () => (await services(admin, '?host=compute2')).find((s) => s.state === 'down'),
      6000,
    )
    expect(Date.now() - stopped).toBeLessThan(4500)
    expect(down).toMatchObject({ status: 'enabled', forced_down: false })
    expect((await services(admin, '?host=compute1'))[0]!.state).toBe('up')
    const hypervisors = await admin.request<{ hypervisors: Hypervisor[] }>('GET', '/v2.1/os-hypervisors')
    expect(
      Object.fromEntries(hypervisors.body.hypervisors.map((h) => [h.hypervisor_hostname, h.state])),
    ).toEqual({ compute1: 'up', compute2: 'down' })

    const alice = admin.as('alice:project-a', '2.37')
    const ids = await Promise.all([1, 2, 3].map((i) => alice.createServer(`after-${i}`)))
    const servers = await admin.as('admin:admin', '2.37').waitForStatus(ids, 'ACTIVE')
    expect(new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:host']))).toEqual(new Set(['compute1']))
    await Promise.all(ids.map((id) => alice.request('DELETE', `/v2.1/servers/${id}`)))
    await alice.waitForGone(ids)
  })

  it('`tsnova service list` prints the same table from the cell database, zones from the aggregates', async () => {
    // compute1 in a zone aggregate (the zone comes from the API database), compute2 in none.
    const created = await admin.request<{ aggregate: { id: number } }>('POST', '/v2.1/os-aggregates', {
      aggregate: { name: 'cli-zone-agg', availability_zone: 'cli-az' },
    })
    expect(created.status).toBe(200)
    const aggregate = `/v2.1/os-aggregates/${created.body.aggregate.id}`
    expect(
      (await admin.request('POST', `${aggregate}/action`, { add_host: { host: 'compute1' } })).status,
    ).toBe(200)
    try {
      await cliTableMatchesApi()
    } finally {
      await admin.request('POST', `${aggregate}/action`, { remove_host: { host: 'compute1' } })
      await admin.request('DELETE', aggregate)
    }
  })

  async function cliTableMatchesApi() {
    const conf = writeConfig({
      DEFAULT: { service_down_time: 2, report_interval: 1, state_path: '/tmp' },
      database: { connection: cloud.dbUrls.cell },
      api_database: { connection: cloud.dbUrls.api },
    })
    const { stdout } = await exec(
      process.execPath,
      [path.join(ROOT, 'dist/cmd/tsnova.js'), 'service', 'list', '--config-file', conf],
      { cwd: ROOT },
    )
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^\+-+\+-+\+-+\+-+\+-+\+-+\+-+\+$/)
    expect(lines[1]).toMatch(
      /^\| ID {35}\| Binary {9}\| Host {7}\| Zone {5}\| Status {2}\| State \| Updated At {17}\|$/,
    )
    const rows = lines.slice(3, -1).map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    )
    const api = await services(admin)
    expect(rows).toEqual(
      api.map((s) => [s.id, s.binary, s.host, s.zone, s.status, s.state, expect.stringMatching(NOVA_TIME)]),
    )
    expect(rows.find((r) => r[2] === 'compute2')![5]).toBe('down')
    expect(lines.at(-1)).toBe(lines[0])
    const zone = (host: string, binary: string) => rows.find((r) => r[2] === host && r[1] === binary)?.[3]
    expect(zone('compute1', 'nova-compute')).toBe('cli-az')
    expect(zone('compute2', 'nova-compute')).toBe('nova')
    const internal = rows.filter((r) => r[1] !== 'nova-compute')
    expect(internal.length).toBeGreaterThan(0)
    for (const r of internal) expect(r[3]).toBe('internal')
  }
})
