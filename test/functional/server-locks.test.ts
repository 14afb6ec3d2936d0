/**
 * lock / unlock as Nova's policy has them: a locked server refuses its owner's actions (409)
 * while admins pass; who locked it (`locked_by` owner/admin) decides who may unlock it
 * (`unlock_override` is the admins'); `locked` from 2.9 and `locked_reason` from 2.73 in the
 * server views; each lock and unlock recorded with its `api_` event.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'
import { act, actionOf, actionsOf, fault, settledAs } from '../harness/server-actions.js'

describeBackends('server locks over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let owner: ComputeClient
  /** An admin of the server's own project: a lock it takes is the owner's. */
  let projectAdmin: ComputeClient
  let server: string

  beforeAll(async () => {
    cloud = await startCloud({ transport, db, hosts: ['lock-host'] })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.84')
    owner = admin.as('alice:demo', '2.84')
    projectAdmin = admin.as('admin:demo', '2.84')
    server = await owner.createServer('lockable')
    await settledAs(owner, server, 'ACTIVE')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const show = async (client: ComputeClient) => (await client.getServer(server)).body.server
  const locked = (id: string) => fault(409, `Instance ${id} is locked`)

  it('the owner locks its server: its own actions are refused, an admin’s pass; the owner unlocks it', async () => {
    const lock = await act(owner, server, { lock: null })
    expect(lock.status).toBe(202)
    expect(await show(owner)).toMatchObject({ locked: true, locked_reason: null })
    expect(await show(owner.as('alice:demo', '2.8'))).not.toHaveProperty('locked')

    expect((await act(owner, server, { 'os-stop': null })).body).toEqual(locked(server))
    expect((await act(owner, server, { pause: null })).body).toEqual(locked(server))
    expect((await act(owner, server, { reboot: { type: 'HARD' } })).body).toEqual(locked(server))
    // changePassword words the lock as an invalid state, as Nova's controller does.
    expect((await act(owner, server, { changePassword: { adminPass: 'x' } })).body).toEqual(
      fault(409, `Instance ${server} is in an invalid state for 'changePassword'`),
    )
    expect((await owner.request('DELETE', `/v2.1/servers/${server}`)).body).toEqual(locked(server))

    // Admins are not held by a lock.
    expect((await act(admin, server, { 'os-stop': null })).status).toBe(202)
    await settledAs(owner, server, 'SHUTOFF')
    expect((await act(admin, server, { 'os-start': null })).status).toBe(202)
    await settledAs(owner, server, 'ACTIVE')

    expect((await act(owner, server, { unlock: null })).status).toBe(202)
    expect(await show(owner)).toMatchObject({ locked: false, locked_reason: null })
    expect((await act(owner, server, { pause: null })).status).toBe(202)
    await settledAs(owner, server, 'PAUSED')
    expect((await act(owner, server, { unpause: null })).status).toBe(202)
    await settledAs(owner, server, 'ACTIVE')
  })

  it('locking a server its project locked already changes nothing and records nothing', async () => {
    await act(owner, server, { lock: null })
    const before = (await actionsOf(owner, server)).length
    expect((await act(owner, server, { lock: null })).status).toBe(202)
    expect((await act(projectAdmin, server, { lock: null })).status).toBe(202)
    expect(await actionsOf(owner, server)).toHaveLength(before)
    await act(owner, server, { unlock: null })
  })

  it('an admin’s lock: the owner may not unlock it (unlock_override), an admin may; an admin of the project locks as the owner', async () => {
    expect((await act(admin, server, { lock: null })).status).toBe(202)
    const unlock = await act(owner, server, { unlock: null })
    expect(unlock.status).toBe(403)
    expect(unlock.body).toEqual(
      fault(
        403,
        "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
      ),
    )
    expect((await show(owner)).locked).toBe(true)
    expect((await act(admin, server, { unlock: null })).status).toBe(202)
    expect((await show(owner)).locked).toBe(false)

    // Its own project's admin locks as the owner, so the owner may unlock it; another admin
    // (not of the project) unlocking an owner's lock needs the override, which admins have.
    expect((await act(projectAdmin, server, { lock: null })).status).toBe(202)
    expect((await act(owner, server, { unlock: null })).status).toBe(202)
    await act(owner, server, { lock: null })
    expect((await act(admin, server, { unlock: null })).status).toBe(202)
    expect((await show(owner)).locked).toBe(false)
  })

  it('locked_reason from 2.73: shown while locked, gone once unlocked; checked by the schema; ignored before 2.73', async () => {
    const v273 = owner.as('alice:demo', '2.73')
    expect((await act(v273, server, { lock: { locked_reason: 'maintenance window' } })).status).toBe(202)
    expect(await show(v273)).toMatchObject({ locked: true, locked_reason: 'maintenance window' })
    expect(await show(owner.as('alice:demo', '2.72'))).not.toHaveProperty('locked_reason')
    // The list filter sees it.
    const list = await owner.request<{ servers: { id: string }[] }>('GET', '/v2.1/servers?locked=true')
    expect(list.body.servers.map((s) => s.id)).toEqual([server])
    await act(v273, server, { unlock: null })
    expect(await show(v273)).toMatchObject({ locked: false, locked_reason: null })

    expect((await act(v273, server, { lock: { locked_reason: '' } })).body).toEqual(
      fault(400, "Invalid input for field/attribute locked_reason. Value: . '' is too short"),
    )
    expect((await act(v273, server, { lock: { reason: 'x' } })).status).toBe(400)
    expect((await act(v273, server, { lock: 'now' })).status).toBe(400)
    // Before 2.73 Nova reads no schema and no reason.
    const v272 = owner.as('alice:demo', '2.72')
    expect((await act(v272, server, { lock: { locked_reason: 'ignored', other: 1 } })).status).toBe(202)
    expect(await show(v273)).toMatchObject({ locked: true, locked_reason: null })
    await act(v272, server, { unlock: 'anything' })
    expect((await show(v273)).locked).toBe(false)
  })

  it('records each lock and unlock with its api_ event, on the API host', async () => {
    const lock = await act(owner, server, { lock: null })
    const unlock = await act(owner, server, { unlock: null })
    const actions = await actionsOf(owner, server)
    expect(actions.slice(0, 2).map((a) => a.action)).toEqual(['unlock', 'lock'])
    for (const [res, name] of [
      [lock, 'api_lock'],
      [unlock, 'api_unlock'],
    ] as const) {
      const shown = await actionOf(admin, server, res.headers.get('x-openstack-request-id')!)
      expect(shown.events).toEqual([
        expect.objectContaining({ event: name, result: 'Success', host: 'controller' }),
      ])
    }
  })
})
