/**
 * `/os-server-groups` in Nova's shapes and microversions, and booting into a group with the
 * `group` scheduler hint: anti-affinity spreads (and refuses once every host has a member),
 * affinity packs, `max_server_per_host` lets a host take more.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

const HOSTS = ['compute1', 'compute2']
const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

type Group = Record<string, unknown> & { id: string; members: string[] }

describeBackends('server groups over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({
      transport,
      db,
      hosts: HOSTS,
      config: { fake: { vcpus: '4', memory_mb: '20000' } },
    })
    admin = new ComputeClient(cloud.url, 'admin:admin')
    alice = admin.as('alice:project-a')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  async function createGroup(client: ComputeClient, body: Record<string, unknown>, version: string) {
    const res = await client
      .as(client.token, version)
      .request<{ server_group: Group }>('POST', '/v2.1/os-server-groups', { server_group: body })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body.server_group
  }

  async function boot(name: string, group: string, extra: Record<string, unknown> = {}) {
    const res = await alice.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: { name, flavorRef: '1', imageRef: IMAGE, networks: 'none', ...extra },
      'os:scheduler_hints': { group },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    return res.body.server.id
  }

  async function settled(id: string) {
    const deadline = Date.now() + 20_000
    for (;;) {
      const s = (await admin.getServer(id)).body.server
      if (s.status === 'ACTIVE' || s.status === 'ERROR')
        return s as { status: string; fault?: { message: string }; 'OS-EXT-SRV-ATTR:host': string | null }
      if (Date.now() > deadline) throw new Error(`server ${id} still ${String(s.status)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const hostOf = async (id: string) => {
    const s = await settled(id)
    expect(s.status, JSON.stringify(s.fault)).toBe('ACTIVE')
    return s['OS-EXT-SRV-ATTR:host']!
  }

  async function cleanup(ids: string[]) {
    await Promise.all(ids.map((id) => admin.request('DELETE', `/v2.1/servers/${id}`)))
    await admin.waitForGone(ids)
  }

  it('creates, shows, lists and deletes groups in each microversion’s shape', async () => {
    const g21 = await createGroup(alice, { name: 'g21', policies: ['anti-affinity'] }, '2.1')
    expect(g21).toEqual({ id: g21.id, name: 'g21', policies: ['anti-affinity'], members: [], metadata: {} })
    const g213 = await createGroup(alice, { name: 'g213', policies: ['affinity'] }, '2.13')
    expect(g213).toEqual({
      id: g213.id,
      name: 'g213',
      policies: ['affinity'],
      members: [],
      metadata: {},
      project_id: 'project-a',
      user_id: 'alice',
    })
    // soft policies from 2.15
    const soft = await alice
      .as(alice.token, '2.14')
      .request('POST', '/v2.1/os-server-groups', { server_group: { name: 's', policies: ['soft-affinity'] } })
    expect(soft.status).toBe(400)
    expect(JSON.stringify(soft.body)).toContain("'soft-affinity' is not one of ['anti-affinity', 'affinity']")
    const g215 = await createGroup(alice, { name: 'g215', policies: ['soft-anti-affinity'] }, '2.15')
    expect(g215.policies).toEqual(['soft-anti-affinity'])
    // policy + rules from 2.64; policies refused there, and rules only with anti-affinity
    const g264 = await createGroup(
      alice,
      { name: 'g264', policy: 'anti-affinity', rules: { max_server_per_host: 2 } },
      '2.64',
    )
    expect(g264).toEqual({
      id: g264.id,
      name: 'g264',
      policy: 'anti-affinity',
      rules: { max_server_per_host: 2 },
      members: [],
      project_id: 'project-a',
      user_id: 'alice',
    })
    const v264 = alice.as(alice.token, '2.64')
    const old = await v264.request('POST', '/v2.1/os-server-groups', {
      server_group: { name: 'x', policies: ['affinity'] },
    })
    expect(old.status).toBe(400)
    const ruled = await v264.request('POST', '/v2.1/os-server-groups', {
      server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } },
    })
    expect(ruled.status).toBe(400)
    expect(ruled.body).toEqual({
      badRequest: { code: 400, message: 'Only anti-affinity policy supports rules.' },
    })
    const zero = await v264.request('POST', '/v2.1/os-server-groups', {
      server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } },
    })
    expect(zero.status).toBe(400)
    const noName = await v264.request('POST', '/v2.1/os-server-groups', {
      server_group: { policy: 'affinity' },
    })
    expect(noName.status).toBe(400)
    expect((noName.body as { badRequest: { message: string } }).badRequest.message).toContain(
      "'name' is a required property",
    )

    // show: the same shape; another project's group is not the caller's to see
    const shown = await v264.request<{ server_group: Group }>('GET', `/v2.1/os-server-groups/${g264.id}`)
    expect(shown.status).toBe(200)
    expect(shown.body.server_group).toEqual(g264)
    const bob = admin.as('bob:project-b', '2.64')
    expect((await bob.request('GET', `/v2.1/os-server-groups/${g264.id}`)).status).toBe(403)
    const missing = await v264.request('GET', '/v2.1/os-server-groups/6f1ee6a0-5a0a-4c52-bd7b-7d2d3a2b4b3c')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({
      itemNotFound: {
        code: 404,
        message: 'Instance group 6f1ee6a0-5a0a-4c52-bd7b-7d2d3a2b4b3c could not be found.',
      },
    })

    // list: one's own project; all_projects for admins only; limit / offset
    const mine = await v264.request<{ server_groups: Group[] }>('GET', '/v2.1/os-server-groups')
    expect(mine.body.server_groups.map((g) => g.name)).toEqual(['g21', 'g213', 'g215', 'g264'])
    expect(
      (await bob.request<{ server_groups: Group[] }>('GET', '/v2.1/os-server-groups?all_projects=True')).body
        .server_groups,
    ).toEqual([])
    const adminAll = await admin
      .as('admin:admin', '2.64')
      .request<{ server_groups: Group[] }>('GET', '/v2.1/os-server-groups?all_projects=True')
    expect(adminAll.body.server_groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['g21', 'g213', 'g215', 'g264']),
    )
    const page = await v264.request<{ server_groups: Group[] }>(
      'GET',
      '/v2.1/os-server-groups?limit=2&offset=1',
    )
    expect(page.body.server_groups.map((g) => g.name)).toEqual(['g213', 'g215'])
    const badLimit = await v264.request('GET', '/v2.1/os-server-groups?limit=-1')
    expect(badLimit.status).toBe(400)

    // delete: 204, then gone; another project's is forbidden
    expect((await bob.request('DELETE', `/v2.1/os-server-groups/${g21.id}`)).status).toBe(403)
    for (const g of [g21, g213, g215, g264]) {
      const del = await v264.request('DELETE', `/v2.1/os-server-groups/${g.id}`)
      expect(del.status).toBe(204)
    }
    expect((await v264.request('DELETE', `/v2.1/os-server-groups/${g21.id}`)).status).toBe(404)
  })

  it('a boot naming an unknown or malformed group is a 400', async () => {
    const unknown = '6f1ee6a0-5a0a-4c52-bd7b-7d2d3a2b4b3c'
    const res = await alice.request('POST', '/v2.1/servers', {
      server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none' },
      'os:scheduler_hints': { group: unknown },
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({
      badRequest: { code: 400, message: `Instance group ${unknown} could not be found.` },
    })
    const bad = await alice.request('POST', '/v2.1/servers', {
      server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none' },
      'os:scheduler_hints': { group: 'not-a-uuid' },
    })
    expect(bad.status).toBe(400)
  })

  it('anti-affinity: one member per host, then no valid host, naming the filter', async () => {
    const group = await createGroup(alice, { name: 'spread', policies: ['anti-affinity'] }, '2.1')
    const a = await boot('aa-1', group.id)
    const hostA = await hostOf(a)
    const b = await boot('aa-2', group.id)
    const hostB = await hostOf(b)
    expect(new Set([hostA, hostB])).toEqual(new Set(HOSTS))
    const c = await boot('aa-3', group.id)
    const s = await settled(c)
    expect(s.status).toBe('ERROR')
    expect(s.fault!.message).toBe(
      `No valid host was found. There are not enough hosts available. ServerGroupAntiAffinityFilter removed 2 of 2 hosts: server group ${group.id} (anti-affinity, max_server_per_host 1) already has up to 1 member(s) on each.`,
    )
    // Every server that is not deleted is a member (the ERROR one too), in 2.13's shape.
    const shown = await alice
      .as(alice.token, '2.13')
      .request<{ server_group: Group }>('GET', `/v2.1/os-server-groups/${group.id}`)
    expect(new Set(shown.body.server_group.members)).toEqual(new Set([a, b, c]))
    // 2.71: a server shows its group.
    const server = await alice
      .as(alice.token, '2.71')
      .request<{ server: { server_groups: string[] } }>('GET', `/v2.1/servers/${a}`)
    expect(server.body.server.server_groups).toEqual([group.id])
    // Deleted servers leave the group, and their hosts take members again.
    await cleanup([b, c])
    const shownAfter = await alice.request<{ server_group: Group }>(
      'GET',
      `/v2.1/os-server-groups/${group.id}`,
    )
    expect(shownAfter.body.server_group.members).toEqual([a])
    const d = await boot('aa-4', group.id)
    expect(await hostOf(d)).toBe(hostB)
    await cleanup([a, d])
  })

  it('anti-affinity holds for servers booted at the same time, and for one multi-create', async () => {
    const group = await createGroup(alice, { name: 'parallel', policies: ['anti-affinity'] }, '2.1')
    const ids = await Promise.all([boot('p-1', group.id), boot('p-2', group.id)])
    const hosts = await Promise.all(ids.map(hostOf))
    expect(new Set(hosts)).toEqual(new Set(HOSTS))
    await cleanup(ids)

    const multi = await createGroup(alice, { name: 'multi', policies: ['anti-affinity'] }, '2.1')
    const res = await alice.request<{ reservation_id: string }>('POST', '/v2.1/servers', {
      server: {
        name: 'm',
        flavorRef: '1',
        imageRef: IMAGE,
        networks: 'none',
        min_count: 2,
        return_reservation_id: true,
      },
      'os:scheduler_hints': { group: multi.id },
    })
    expect(res.status).toBe(202)
    const shown = await alice.request<{ server_group: Group }>('GET', `/v2.1/os-server-groups/${multi.id}`)
    expect(shown.body.server_group.members).toHaveLength(2)
    const multiHosts = await Promise.all(shown.body.server_group.members.map(hostOf))
    expect(new Set(multiHosts)).toEqual(new Set(HOSTS))
    await cleanup(shown.body.server_group.members)
  })

  it('affinity keeps every member on the first one’s host', async () => {
    const group = await createGroup(alice, { name: 'pack', policies: ['affinity'] }, '2.1')
    const first = await boot('af-1', group.id)
    const host = await hostOf(first)
    const more = []
    for (let i = 2; i <= 4; i++) more.push(await boot(`af-${i}`, group.id))
    for (const id of more) expect(await hostOf(id)).toBe(host)
    await cleanup([first, ...more])
  })

  it('max_server_per_host (2.64) lets each host take that many members', async () => {
    const group = await createGroup(
      alice,
      { name: 'two-each', policy: 'anti-affinity', rules: { max_server_per_host: 2 } },
      '2.64',
    )
    const ids = []
    for (let i = 1; i <= 4; i++) ids.push(await boot(`r-${i}`, group.id))
    const hosts = await Promise.all(ids.map(hostOf))
    for (const h of HOSTS) expect(hosts.filter((x) => x === h)).toHaveLength(2)
    const fifth = await boot('r-5', group.id)
    const s = await settled(fifth)
    expect(s.status).toBe('ERROR')
    expect(s.fault!.message).toContain('ServerGroupAntiAffinityFilter removed 2 of 2 hosts')
    expect(s.fault!.message).toContain('max_server_per_host 2')
    await cleanup([...ids, fifth])
  })

  it('soft-anti-affinity spreads while it can, and still places when it cannot', async () => {
    const group = await createGroup(alice, { name: 'soft', policies: ['soft-anti-affinity'] }, '2.15')
    const ids = []
    for (let i = 1; i <= 3; i++) ids.push(await boot(`s-${i}`, group.id))
    const hosts = await Promise.all(ids.map(hostOf))
    expect(new Set(hosts.slice(0, 2))).toEqual(new Set(HOSTS))
    expect(HOSTS).toContain(hosts[2])
    await cleanup(ids)
  })
})
