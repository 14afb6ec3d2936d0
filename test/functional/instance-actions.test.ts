/**
 * `os-instance-actions`: every create and delete leaves an action with the events of the
 * services that did it; a server no host could take carries the scheduler's per-filter account
 * in its failed event, for admins. Deleted servers' actions stay readable from 2.21.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

type Action = Record<string, unknown> & { request_id: string; action: string }
type Event = Record<string, unknown> & { event: string; result: string | null }

describeBackends('os-instance-actions ($transport + $db)', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let owner: ComputeClient
  let server: string
  let createRequestId: string

  const actionsOf = (client: ComputeClient, id: string, query = '') =>
    client.request<{ instanceActions: Action[]; links?: { rel: string; href: string }[] }>(
      'GET',
      `/v2.1/servers/${id}/os-instance-actions${query}`,
    )
  const actionOf = (client: ComputeClient, id: string, requestId: string) =>
    client.request<{ instanceAction: Action & { events?: Event[] } }>(
      'GET',
      `/v2.1/servers/${id}/os-instance-actions/${requestId}`,
    )

  beforeAll(async () => {
    cloud = await startCloud({ transport, db, hosts: ['host-a'], config: { fake: { memory_mb: '8192' } } })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.84')
    owner = admin.as('alice:demo', '2.84')
    const res = await owner.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: {
        name: 'acted-on',
        flavorRef: '1',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
      },
    })
    expect(res.status).toBe(202)
    server = res.body.server.id
    createRequestId = res.headers.get('x-openstack-request-id')!
    await admin.waitForStatus([server], 'ACTIVE')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('lists the create action under the request id the API answered with', async () => {
    const res = await actionsOf(owner.as('alice:demo', '2.1'), server)
    expect(res.status).toBe(200)
    expect(res.body.instanceActions).toEqual([
      {
        action: 'create',
        instance_uuid: server,
        request_id: createRequestId,
        user_id: 'alice',
        project_id: 'demo',
        start_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
        message: null,
      },
    ])
  })

  it("shows compute's build event: all of it to admins, without traceback, host and details to the owner", async () => {
    const full = await actionOf(admin, server, createRequestId)
    expect(full.status).toBe(200)
    const [event] = full.body.instanceAction.events!
    expect(event).toEqual({
      event: 'compute__do_build_and_run_instance',
      start_time: expect.any(String),
      finish_time: expect.any(String),
      result: 'Success',
      traceback: null,
      host: 'host-a',
      hostId: expect.stringMatching(/^[0-9a-f]{56}$/),
      details: null,
    })
    expect(full.body.instanceAction.updated_at).toBe(event!.finish_time)

    const mine = await actionOf(owner, server, createRequestId)
    expect(Object.keys(mine.body.instanceAction.events![0]!).sort()).toEqual(
      ['event', 'finish_time', 'hostId', 'result', 'start_time'].sort(),
    )
    // Before 2.51 events are the admins' alone.
    const old = await actionOf(owner.as('alice:demo', '2.50'), server, createRequestId)
    expect(old.body.instanceAction.events).toBeUndefined()
    expect(old.body.instanceAction.updated_at).toBeUndefined()
  })

  it('hides another project’s server, and answers 404 for an unknown request id', async () => {
    expect((await actionsOf(admin.as('mallory:other', '2.84'), server)).status).toBe(404)
    const missing = await actionOf(admin, server, 'req-00000000-0000-0000-0000-000000000000')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({
      itemNotFound: { code: 404, message: 'Action req-00000000-0000-0000-0000-000000000000 not found' },
    })
  })

  it('pages from 2.58 by limit and marker, newest first, and filters by changes-since/before', async () => {
    const two = await owner.createServer('paged')
    await admin.waitForStatus([two], 'ACTIVE')
    const del = await owner.request('DELETE', `/v2.1/servers/${two}`)
    const deleteRequestId = del.headers.get('x-openstack-request-id')!
    await admin.waitForGone([two])

    // Gone for 2.20, readable from 2.21.
    expect((await actionsOf(owner.as('alice:demo', '2.20'), two)).status).toBe(404)
    const all = await actionsOf(owner, two)
    expect(all.status).toBe(200)
    expect(all.body.instanceActions.map((a) => a.action)).toEqual(['delete', 'create'])
    expect(all.body.links).toBeUndefined()
    const terminated = await actionOf(admin, two, deleteRequestId)
    expect(terminated.body.instanceAction.events!.map((e) => [e.event, e.result])).toEqual([
      ['compute_terminate_instance', 'Success'],
    ])

    const first = await actionsOf(owner, two, '?limit=1')
    expect(first.body.instanceActions.map((a) => a.request_id)).toEqual([deleteRequestId])
    const next = first.body.links?.[0]
    expect(next?.rel).toBe('next')
    expect(next?.href).toBe(
      `${cloud.url}/v2.1/servers/${two}/os-instance-actions?limit=1&marker=${deleteRequestId}`,
    )
    const second = await actionsOf(owner, two, `?limit=1&marker=${deleteRequestId}`)
    expect(second.body.instanceActions.map((a) => a.action)).toEqual(['create'])
    const after = await actionsOf(owner, two, `?marker=${second.body.instanceActions[0]!.request_id}`)
    expect(after.body.instanceActions).toEqual([])

    const since = all.body.instanceActions[0]!.updated_at as string
    const recent = await actionsOf(owner, two, `?changes-since=${since}Z`)
    expect(recent.body.instanceActions.map((a) => a.action)).toEqual(['delete'])
    const future = await actionsOf(owner, two, '?changes-since=2999-01-01T00:00:00Z')
    expect(future.body.instanceActions).toEqual([])
    const before = await actionsOf(owner, two, '?changes-before=2000-01-01T00:00:00Z')
    expect(before.body.instanceActions).toEqual([])
  })

  it('rejects bad paging input with 400 in Nova’s format', async () => {
    const cases: [string, string, string][] = [
      ['2.84', '?marker=nope', 'Marker nope could not be found.'],
      ['2.84', '?limit=-1', 'Invalid input for query parameters limit.'],
      ['2.84', '?changes-since=yesterday', "'yesterday' is not a 'date-time'"],
      [
        '2.84',
        '?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z',
        'The value of changes-since must be less than or equal to changes-before.',
      ],
      [
        '2.65',
        '?changes-before=2020-01-01T00:00:00Z',
        "Additional properties are not allowed ('changes-before'",
      ],
      ['2.84', '?sort_key=id', "Additional properties are not allowed ('sort_key' was unexpected)"],
    ]
    for (const [version, query, message] of cases) {
      const res = await actionsOf(owner.as('alice:demo', version), server, query)
      expect(res.status, query).toBe(400)
      expect((res.body as unknown as { badRequest: { message: string } }).badRequest.message).toContain(
        message,
      )
    }
    // Before 2.58 the query is not looked at.
    expect((await actionsOf(owner.as('alice:demo', '2.57'), server, '?marker=nope')).status).toBe(200)
  })

  it("records the scheduler's per-filter account in the failed event of a server no host takes", async () => {
    // m1.xlarge (16384 MB) fits no 8192 MB host.
    const res = await owner.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: {
        name: 'too-big',
        flavorRef: '5',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
      },
    })
    const id = res.body.server.id
    const requestId = res.headers.get('x-openstack-request-id')!
    await admin.waitForStatus([id], 'ERROR')

    const shown = await actionOf(admin, id, requestId)
    expect(shown.body.instanceAction.action).toBe('create')
    expect(shown.body.instanceAction.message).toBe('Error')
    const [event] = shown.body.instanceAction.events!
    expect(event!.event).toBe('conductor_schedule_and_build_instances')
    expect(event!.result).toBe('Error')
    expect(event!.details).toMatch(/^No valid host was found\. /)
    expect(event!.details).toMatch(/removed 1 of 1 hosts: needs 16384 MB/)
    expect(event!.traceback).toEqual(expect.any(String))
    expect(event!.host).toBe('controller')

    const mine = await actionOf(owner, id, requestId)
    expect(mine.body.instanceAction.events![0]).not.toHaveProperty('details')
    expect(mine.body.instanceAction.events![0]).not.toHaveProperty('traceback')
  })
})
