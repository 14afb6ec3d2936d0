/**
 * The single-host power actions through the API, over the backend matrix: each one's happy
 * path (the status it reaches, the power state the fake guest reports), its refusal in Nova's
 * words, the instance action with the compute's event, races between actions, and what a
 * driver failure leaves.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { PowerState } from '../../src/objects/states.js'
import type { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'
import {
  act,
  actionOf,
  actionsOf,
  fakeDriver,
  fault,
  finishedEvent,
  settledAs,
} from '../harness/server-actions.js'

const cannot = (action: string, id: string, attr: string, state: string) =>
  fault(409, `Cannot '${action}' instance ${id} while it is in ${attr} ${state}`)

describeBackends('server power actions over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let owner: ComputeClient
  let driver: FakeDriver

  beforeAll(async () => {
    cloud = await startCloud({ transport, db, hosts: [] })
    driver = fakeDriver()
    await startCompute(cloud.runtime, { host: 'act-host', driver })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.84')
    owner = admin.as('alice:demo', '2.84')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  async function activeServer(name: string): Promise<string> {
    const id = await owner.createServer(name)
    await settledAs(owner, id, 'ACTIVE')
    return id
  }

  /** The request id the API answered an action with. */
  async function accepted(id: string, body: unknown, client = owner): Promise<string> {
    const res = await act(client, id, body)
    expect(res.status, JSON.stringify(res.body)).toBe(202)
    expect(res.body).toBeNull()
    return res.headers.get('x-openstack-request-id')!
  }

  it('os-stop and os-start: SHUTOFF with the guest shut down, then ACTIVE and running; each refused where Nova refuses it', async () => {
    const id = await activeServer('stop-start')
    await accepted(id, { 'os-stop': null })
    const stopped = await settledAs(owner, id, 'SHUTOFF')
    expect(stopped).toMatchObject({
      'OS-EXT-STS:vm_state': 'stopped',
      'OS-EXT-STS:power_state': PowerState.SHUTDOWN,
    })
    expect((await driver.getInfo({ uuid: id } as never))?.power_state).toBe(PowerState.SHUTDOWN)
    expect((await act(owner, id, { 'os-stop': null })).body).toEqual(
      cannot('stop', id, 'vm_state', 'stopped'),
    )

    await accepted(id, { 'os-start': null })
    const started = await settledAs(owner, id, 'ACTIVE')
    expect(started).toMatchObject({
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:power_state': PowerState.RUNNING,
    })
    expect((await act(owner, id, { 'os-start': null })).body).toEqual(
      cannot('start', id, 'vm_state', 'active'),
    )
  })

  it('reboot SOFT and HARD: back to ACTIVE; a soft reboot only from ACTIVE, a hard one from SHUTOFF too; the type is checked', async () => {
    const id = await activeServer('reboots')
    const soft = await accepted(id, { reboot: { type: 'SOFT' } })
    await settledAs(owner, id, 'ACTIVE')
    expect(await finishedEvent(admin, id, soft)).toMatchObject({
      event: 'compute_reboot_instance',
      result: 'Success',
    })

    await accepted(id, { 'os-stop': {} })
    await settledAs(owner, id, 'SHUTOFF')
    expect((await act(owner, id, { reboot: { type: 'soft' } })).body).toEqual(
      cannot('reboot', id, 'vm_state', 'stopped'),
    )
    await accepted(id, { reboot: { type: 'Hard' } })
    expect(await settledAs(owner, id, 'ACTIVE')).toMatchObject({
      'OS-EXT-STS:power_state': PowerState.RUNNING,
    })

    const bad = await act(owner, id, { reboot: { type: 'WARM' } })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual(
      fault(
        400,
        "Invalid input for field/attribute type. Value: WARM. 'WARM' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
      ),
    )
    expect((await act(owner, id, { reboot: {} })).status).toBe(400)
  })

  it('pause and unpause: PAUSED with the guest paused, then ACTIVE; each refused from the other state', async () => {
    const id = await activeServer('pauses')
    expect((await act(owner, id, { unpause: null })).body).toEqual(
      cannot('unpause', id, 'vm_state', 'active'),
    )
    await accepted(id, { pause: null })
    expect(await settledAs(owner, id, 'PAUSED')).toMatchObject({
      'OS-EXT-STS:vm_state': 'paused',
      'OS-EXT-STS:power_state': PowerState.PAUSED,
    })
    expect((await act(owner, id, { pause: null })).body).toEqual(cannot('pause', id, 'vm_state', 'paused'))
    await accepted(id, { unpause: null })
    expect(await settledAs(owner, id, 'ACTIVE')).toMatchObject({
      'OS-EXT-STS:power_state': PowerState.RUNNING,
    })
  })

  it('suspend and resume: SUSPENDED with the guest suspended, then ACTIVE; each refused from the other state', async () => {
    const id = await activeServer('suspends')
    expect((await act(owner, id, { resume: null })).body).toEqual(cannot('resume', id, 'vm_state', 'active'))
    await accepted(id, { suspend: null })
    expect(await settledAs(owner, id, 'SUSPENDED')).toMatchObject({
      'OS-EXT-STS:vm_state': 'suspended',
      'OS-EXT-STS:power_state': PowerState.SUSPENDED,
    })
    expect((await act(owner, id, { suspend: null })).body).toEqual(
      cannot('suspend', id, 'vm_state', 'suspended'),
    )
    await accepted(id, { resume: null })
    expect(await settledAs(owner, id, 'ACTIVE')).toMatchObject({
      'OS-EXT-STS:power_state': PowerState.RUNNING,
    })
  })

  it('trigger_crash_dump (2.17): the guest gets its NMI, the event says so; refused for a stopped server, unknown before 2.17', async () => {
    const id = await activeServer('crash')
    const requestId = await accepted(id, { trigger_crash_dump: null })
    expect(await finishedEvent(admin, id, requestId)).toMatchObject({
      event: 'compute_trigger_crash_dump',
      result: 'Success',
    })
    expect(driver.crashDumpsOf(id)).toBe(1)
    // The server itself does not move.
    expect((await owner.getServer(id)).body.server).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': null,
    })

    expect((await act(owner.as('alice:demo', '2.16'), id, { trigger_crash_dump: null })).body).toEqual(
      fault(404, 'The resource could not be found.'),
    )
    expect((await act(owner, id, { trigger_crash_dump: {} })).body).toEqual(
      fault(400, "Invalid input for field/attribute trigger_crash_dump. Value: {}. {} is not of type 'null'"),
    )
    await accepted(id, { 'os-stop': null })
    await settledAs(owner, id, 'SHUTOFF')
    expect((await act(owner, id, { trigger_crash_dump: null })).body).toEqual(
      cannot('trigger_crash_dump', id, 'vm_state', 'stopped'),
    )
  })

  it('changePassword: the guest agent takes it; a guest that is not running refuses, and the server leaves updating_password', async () => {
    const id = await activeServer('password')
    await accepted(id, { changePassword: { adminPass: 's3cret' } })
    expect(driver.adminPasswordOf(id)).toBe('s3cret')
    expect((await owner.getServer(id)).body.server['OS-EXT-STS:task_state']).toBeNull()

    driver.simulatePowerState(id, PowerState.SHUTDOWN)
    const refused = await act(owner, id, { changePassword: { adminPass: 'other' } })
    expect(refused.body).toEqual(
      fault(409, `Failed to set admin password on ${id} because instance ${id} is not running`),
    )
    expect((await owner.getServer(id)).body.server).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': null,
    })
    const [last] = await actionsOf(owner, id)
    expect(last).toMatchObject({ action: 'changePassword', message: 'Error' })
    expect((await finishedEvent(admin, id, last!.request_id)).result).toBe('Error')
    driver.simulatePowerState(id, PowerState.RUNNING)

    expect((await act(owner, id, { changePassword: {} })).body).toEqual(
      fault(
        400,
        "Invalid input for field/attribute changePassword. Value: {}. 'adminPass' is a required property",
      ),
    )
  })

  it('os-resetState (admin only): ERROR or ACTIVE at once, recorded finished; a hard reboot recovers an ERROR server', async () => {
    const id = await activeServer('reset')
    expect((await act(owner, id, { 'os-resetState': { state: 'error' } })).body).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed."),
    )
    expect((await act(admin, id, { 'os-resetState': { state: 'stopped' } })).status).toBe(400)
    await accepted(id, { 'os-resetState': { state: 'error' } }, admin)
    expect((await owner.getServer(id)).body.server).toMatchObject({
      status: 'ERROR',
      'OS-EXT-STS:vm_state': 'error',
    })
    const [reset] = await actionsOf(admin, id)
    expect(reset).toMatchObject({ action: 'resetState', user_id: 'admin' })
    // Nothing the owner may do to an ERROR server but stop it or reboot it hard.
    expect((await act(owner, id, { pause: null })).body).toEqual(cannot('pause', id, 'vm_state', 'error'))
    expect((await act(owner, id, { reboot: { type: 'SOFT' } })).body).toEqual(
      cannot('reboot', id, 'vm_state', 'error'),
    )
    await accepted(id, { reboot: { type: 'HARD' } })
    await settledAs(owner, id, 'ACTIVE')
  })

  it('records every action with the compute event that did it, newest first, under the request id answered', async () => {
    const id = await activeServer('recorded')
    const steps: [unknown, string, string][] = [
      [{ 'os-stop': null }, 'stop', 'SHUTOFF'],
      [{ 'os-start': null }, 'start', 'ACTIVE'],
      [{ pause: null }, 'pause', 'PAUSED'],
      [{ unpause: null }, 'unpause', 'ACTIVE'],
      [{ suspend: null }, 'suspend', 'SUSPENDED'],
      [{ resume: null }, 'resume', 'ACTIVE'],
      [{ reboot: { type: 'HARD' } }, 'reboot', 'ACTIVE'],
    ]
    const requests: string[] = []
    for (const [body, , status] of steps) {
      requests.push(await accepted(id, body))
      await settledAs(owner, id, status)
    }
    const actions = await actionsOf(owner, id)
    expect(actions.map((a) => a.action)).toEqual([...steps.map(([, name]) => name).reverse(), 'create'])
    expect(actions.slice(0, steps.length).map((a) => a.request_id)).toEqual([...requests].reverse())
    for (const [i, [, name]] of steps.entries()) {
      const method = { stop: 'stop_instance', start: 'start_instance' }[name] ?? `${name}_instance`
      const event = await finishedEvent(admin, id, requests[i]!)
      expect(event).toMatchObject({ event: `compute_${method}`, result: 'Success', host: 'act-host' })
    }
    // The owner sees the events too (2.51+), without host or traceback.
    const mine = await actionOf(owner, id, requests[0]!)
    expect(Object.keys(mine.events![0]!).sort()).toEqual([
      'event',
      'finish_time',
      'hostId',
      'result',
      'start_time',
    ])
  })

  it('two actions at once: exactly one is accepted, the other refused with the state it lost to', async () => {
    const id = await activeServer('racing')
    const bodies = [
      { 'os-stop': null },
      { pause: null },
      { suspend: null },
      { 'os-stop': null },
      { pause: null },
    ]
    const answers = await Promise.all(bodies.map((b) => act(owner, id, b)))
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 202)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(bodies.length - 1)
    for (const r of answers.filter((a) => a.status === 409)) {
      const message = (r.body as { conflictingRequest: { message: string } }).conflictingRequest.message
      expect(message).toMatch(
        new RegExp(`^Cannot '(stop|pause|suspend)' instance ${id} while it is in (task_state|vm_state) `),
      )
    }
    // Only the winner left an action behind.
    const actions = await actionsOf(owner, id)
    expect(actions.map((a) => a.action)).toHaveLength(2)
    const winner = bodies[statuses.indexOf(202)]!
    const expected = 'os-stop' in winner ? 'SHUTOFF' : 'pause' in winner ? 'PAUSED' : 'SUSPENDED'
    await settledAs(owner, id, expected)
  })

  it('a driver failure: a fault and an Error event; pause leaves the server ACTIVE, suspend puts it in ERROR', async () => {
    const id = await activeServer('breaking')
    driver.failNext('pause', new Error('the hypervisor said no'))
    const paused = await accepted(id, { pause: null })
    expect(await finishedEvent(admin, id, paused)).toMatchObject({
      event: 'compute_pause_instance',
      result: 'Error',
      details: 'the hypervisor said no',
    })
    expect(await settledAs(owner, id, 'ACTIVE')).toMatchObject({
      'OS-EXT-STS:power_state': PowerState.RUNNING,
    })
    expect((await actionsOf(owner, id))[0]).toMatchObject({ action: 'pause', message: 'Error' })

    driver.failNext('suspend', new Error('could not save the memory'))
    const suspended = await accepted(id, { suspend: null })
    expect((await finishedEvent(admin, id, suspended)).result).toBe('Error')
    const errored = await settledAs(owner, id, 'ERROR')
    expect(errored.fault).toMatchObject({ code: 500, message: 'could not save the memory' })
    await accepted(id, { reboot: { type: 'HARD' } })
    await settledAs(owner, id, 'ACTIVE')
  })

  it('a server that never ran: not ready to stop, and in the wrong state for the rest (Nova checks in this order)', async () => {
    await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'giant', ram: 10_000_000, vcpus: 1, disk: 0, id: 'giant' },
    })
    const id = await owner.createServer('never-ran', { flavorRef: 'giant' })
    await owner.waitForStatus([id], 'ERROR')
    expect((await act(owner, id, { 'os-stop': null })).body).toEqual(
      fault(409, `Instance ${id} is not ready`),
    )
    expect((await act(owner, id, { pause: null })).body).toEqual(cannot('pause', id, 'vm_state', 'error'))
    expect((await act(owner, id, { reboot: { type: 'HARD' } })).body).toEqual(
      cannot('reboot', id, 'launched_at', 'None'),
    )
    await owner.request('DELETE', `/v2.1/servers/${id}`)
    await admin.request('DELETE', '/v2.1/flavors/giant')
  })

  it('another project’s server is not found, whatever the action; an unknown action is a 400', async () => {
    const id = await activeServer('private')
    const mallory = admin.as('mallory:other', '2.84')
    for (const body of [{ 'os-stop': null }, { pause: null }, { reboot: { type: 'HARD' } }, { lock: null }]) {
      expect((await act(mallory, id, body)).body).toEqual(fault(404, `Instance ${id} could not be found.`))
    }
    // An unknown action names the server first: on one that is not there, its 404.
    expect((await act(mallory, id, { 'os-teleport': null })).body).toEqual(
      fault(404, `Instance ${id} could not be found.`),
    )
    expect((await act(owner, id, { 'os-teleport': null })).body).toEqual(
      fault(400, 'There is no such action: os-teleport'),
    )
  })
})
