/**
 * Work whose message was lost is finished anyway: the conductor's re-drive sends again what stood
 * still, the conductor leaves a scheduling it could not ask for to the re-drive (rather than
 * burying the server), a twin delivery of a create builds it once, and the API withdraws a
 * create it could not hand to a conductor.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cell } from '../../src/cells/cell-router.js'
import { HostApi } from '../../src/compute-api/hosts.js'
import { ComputeApi, type CreateServerRequest } from '../../src/compute-api/servers.js'
import { ComputeTaskManager } from '../../src/conductor/manager.js'
import { StalledWorkRedriver } from '../../src/conductor/redrive.js'
import { ComputeTaskClient } from '../../src/conductor/rpcapi.js'
import { TaskState, VmState } from '../../src/objects/states.js'
import { SchedulerClient } from '../../src/scheduler/rpcapi.js'
import { makeContext } from '../../src/shared/context.js'
import { MessagingTimeout, MessagingUnavailable, NoValidHost } from '../../src/shared/errors.js'
import { createLogger } from '../../src/shared/logger.js'
import { dbNow } from '../../src/shared/time.js'
import { type RecordedBuildRequest, recordBuildRequest } from '../harness/build-requests.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeDatabases } from '../harness/matrix.js'

const log = createLogger({ name: 'test' })
log.level = 'silent'

describeDatabases('re-driving lost work ($db)', ({ db }) => {
  let cloud: Cloud
  let client: ComputeClient

  beforeAll(async () => {
    // No periodic re-drive of its own: each test runs one pass when it means to.
    cloud = await startCloud({
      transport: 'memory',
      db,
      hosts: ['compute1', 'compute2'],
      config: { conductor: { redrive_threshold: '0' } },
    })
    client = new ComputeClient(cloud.url, 'demo:demo')
    localCell = await cloud.runtime.localCell()
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const api = () => cloud.runtime.apiStore()
  let localCell: Cell
  const cell = () => localCell.store
  const ctx = makeContext({ userId: 'demo', projectId: 'demo' })

  async function taskManager(
    scheduler: Pick<SchedulerClient, 'selectDestinations'>,
  ): Promise<ComputeTaskManager> {
    return new ComputeTaskManager({
      api: api(),
      cells: cloud.runtime.cells(),
      scheduler: scheduler as SchedulerClient,
      log,
      maxAttempts: 3,
      host: 'test-conductor',
    })
  }

  const realScheduler = () => new SchedulerClient(cloud.runtime.rpc(), 60)

  /**
   * One re-drive pass, of work unchanged for `thresholdS` seconds. `conductors` stands in for the
   * conductors' queue (by default the real one).
   */
  async function redrive(
    thresholdS: number,
    options: { maxAttempts?: number; conductors?: ComputeTaskClient; cell?: Cell } = {},
  ): Promise<void> {
    const rt = cloud.runtime
    const rpc = rt.rpc()
    const redriver = new StalledWorkRedriver(
      api(),
      options.cell ?? localCell,
      (await taskManager(realScheduler())).scheduleAndBuild,
      options.conductors ?? new ComputeTaskClient(rpc),
      { thresholdS, serviceDownTimeS: 60, maxAttempts: options.maxAttempts ?? 3 },
      log,
    )
    // Stored times have millisecond precision: let what was just written be strictly older.
    await sleep(5)
    await redriver.run()
    await cloud.settle()
  }

  /** The instance the conductor makes of a build request, placed on compute1, without the cast. */
  async function placeWithoutBuilding({ br }: RecordedBuildRequest): Promise<void> {
    await cell().instances.create({
      ...br,
      vm_state: VmState.BUILDING,
      task_state: TaskState.SCHEDULING,
      host: 'compute1',
      node: 'compute1',
    })
    await api().setInstanceCell(br.uuid, localCell.mapping.id)
    await api().deleteBuildRequest(br.uuid)
  }

  it('sends a build request no conductor took to a conductor again, once it has waited', async () => {
    const { br, spec } = await recordBuildRequest(api(), 'lost-create')
    await redrive(60)
    expect(await api().getBuildRequest(br.uuid)).toBeDefined()
    expect(await cell().instances.find(br.uuid)).toBeUndefined()
    await redrive(0)
    await client.waitForStatus([br.uuid], 'ACTIVE')
    expect(await api().getBuildRequest(br.uuid)).toBeUndefined()
    // Its create action is the one the API answered with, not the re-drive's.
    const actions = (await cell().actions.list(br.uuid)) ?? []
    expect(actions.map((a) => [a.action, a.request_id])).toEqual([['create', spec.request_id]])
  })

  it('sends a build its host never started to that host again', async () => {
    const recorded = await recordBuildRequest(api(), 'lost-build')
    await placeWithoutBuilding(recorded)
    await redrive(0)
    await client.waitForStatus([recorded.br.uuid], 'ACTIVE')
    expect((await cell().instances.get(recorded.br.uuid)).host).toBe('compute1')
  })

  it('sends a delete its host never finished to that host again', async () => {
    const id = await client.createServer('lost-delete')
    await client.waitForStatus([id], 'ACTIVE')
    // The API's part of a delete, without its cast.
    await cell().instances.update(id, { task_state: TaskState.DELETING })
    await redrive(0)
    await client.waitForGone([id])
  })

  it('sends an action its host never took (a pause, a reboot) to that host again, under the action’s request', async () => {
    const [paused, rebooted] = await Promise.all([
      client.createServer('lost-pause'),
      client.createServer('lost-reboot'),
    ])
    await client.waitForStatus([paused, rebooted], 'ACTIVE')
    // The API's part of each action, without its cast.
    for (const [id, action, taskState] of [
      [paused, 'pause', TaskState.PAUSING],
      [rebooted, 'reboot', TaskState.REBOOTING_HARD],
    ] as const) {
      await cell().instances.update(id, { task_state: taskState }, [null])
      await cell().actions.start({
        action,
        instance_uuid: id,
        request_id: `req-${action}-${id}`,
        user_id: 'demo',
        project_id: 'demo',
      })
    }
    await redrive(0)
    await client.waitForStatus([paused], 'PAUSED')
    await client.waitForStatus([rebooted], 'ACTIVE')
    expect((await client.getServer(rebooted)).body.server['OS-EXT-STS:task_state']).toBeNull()
    const [pause] = (await cell().actions.list(paused)) ?? []
    const events = await cell().actions.events(pause!.id)
    expect(events.map((e) => [e.event, e.result])).toEqual([['compute_pause_instance', 'Success']])
  })

  it('ends an action its host never carries out where it began: the task_state cleared, with a fault', async () => {
    const id = await client.createServer('never-paused')
    await client.waitForStatus([id], 'ACTIVE')
    await cell().instances.update(id, { task_state: TaskState.PAUSING }, [null])
    // A host that is up but never gets the message.
    const dropping = { ...localCell, compute: { pauseInstance: async () => undefined } } as unknown as Cell
    for (let pass = 0; pass < 2; pass++) await redrive(0, { maxAttempts: 2, cell: dropping })
    expect((await cell().instances.get(id)).task_state).toBe(TaskState.PAUSING)
    await redrive(0, { maxAttempts: 2, cell: dropping })
    expect(await cell().instances.get(id)).toMatchObject({ vm_state: VmState.ACTIVE, task_state: null })
    const faults = await cell()
      .db.kysely.selectFrom('instance_faults')
      .select('message')
      .where('instance_uuid', '=', id)
      .execute()
    expect(faults.map((f) => f.message)).toEqual([
      expect.stringMatching(/^Action pausing of instance .* never completed on host compute\d: sent 3 times/),
    ])
  })

  it('ends work that fails the same way every time: ERROR with a fault after redrive_max_attempts', async () => {
    // A create whose message every conductor loses, and a build whose host never starts it.
    const lostCreate = await recordBuildRequest(api(), 'always-lost')
    const dropping = { scheduleAndBuildInstances: async () => undefined } as unknown as ComputeTaskClient
    const ghost = await recordBuildRequest(api(), 'ghost-host')
    await cell().instances.create({
      ...ghost.br,
      vm_state: VmState.BUILDING,
      task_state: TaskState.SCHEDULING,
      host: 'ghost',
      node: 'ghost',
    })
    await api().setInstanceCell(ghost.br.uuid, localCell.mapping.id)
    await api().deleteBuildRequest(ghost.br.uuid)
    for (let pass = 0; pass < 2; pass++) await redrive(0, { maxAttempts: 2, conductors: dropping })
    // Re-driven twice: still waiting.
    expect(await api().getBuildRequest(lostCreate.br.uuid)).toBeDefined()
    expect((await cell().instances.get(ghost.br.uuid)).vm_state).toBe(VmState.BUILDING)
    await redrive(0, { maxAttempts: 2, conductors: dropping })
    const [lost, never] = await Promise.all(
      [lostCreate.br.uuid, ghost.br.uuid].map(async (id) => (await client.getServer(id)).body.server),
    )
    expect(lost).toMatchObject({ status: 'ERROR', fault: { code: 500 } })
    expect((lost!.fault as { message: string }).message).toMatch(
      /^Scheduling and building instance .* never completed: sent 3 times/,
    )
    expect(never).toMatchObject({ status: 'ERROR', fault: { code: 500 } })
    expect((never!.fault as { message: string }).message).toMatch(
      /^Build of instance .* never started on host ghost: sent 3 times/,
    )
    // The lost create is buried in cell0, like any server no host took; both can be deleted.
    expect((await cloud.runtime.cells().forInstance(lostCreate.br.uuid))?.mapping.name).toBe('cell0')
    for (const id of [lostCreate.br.uuid, ghost.br.uuid]) {
      expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
    }
    await client.waitForGone([lostCreate.br.uuid, ghost.br.uuid])
  })

  it('lets one of several conductors re-drive each piece of work', async () => {
    const recorded = await recordBuildRequest(api(), 'contended')
    await sleep(5)
    const before = dbNow()
    const touches = await Promise.all(
      [1, 2, 3].map(() => api().touchStalledBuildRequest(recorded.br.uuid, before)),
    )
    expect(touches.filter(Boolean)).toHaveLength(1)
    await placeWithoutBuilding(recorded)
    await sleep(5)
    const later = dbNow()
    const state = { vmState: VmState.BUILDING, taskState: TaskState.SCHEDULING }
    const instanceTouches = await Promise.all(
      [1, 2, 3].map(() => cell().instances.touchStalled(recorded.br.uuid, state, later)),
    )
    expect(instanceTouches.filter(Boolean)).toHaveLength(1)
    await redrive(0)
    await client.waitForStatus([recorded.br.uuid], 'ACTIVE')
  })

  it('leaves a scheduling it could not ask for to the re-drive, but buries a server no host fits', async () => {
    const unreachable = await recordBuildRequest(api(), 'scheduler-unreachable')
    const tasks = await taskManager({
      selectDestinations: async () => {
        throw new MessagingTimeout('Timed out waiting for a reply')
      },
    })
    await tasks.schedule_and_build_instances(ctx, {
      build_requests: [unreachable.br],
      request_specs: [unreachable.spec],
    })
    expect(await api().getBuildRequest(unreachable.br.uuid)).toBeDefined()
    expect(await cell().instances.find(unreachable.br.uuid, true)).toBeUndefined()
    await redrive(0)
    await client.waitForStatus([unreachable.br.uuid], 'ACTIVE')

    const unplaceable = await recordBuildRequest(api(), 'no-host')
    const refusing = await taskManager({
      selectDestinations: async () => {
        throw new NoValidHost('nothing fits')
      },
    })
    await refusing.schedule_and_build_instances(ctx, {
      build_requests: [unplaceable.br],
      request_specs: [unplaceable.spec],
    })
    // Buried in cell0, as Nova buries them: not in the cell of any host.
    const cell0 = await cloud.runtime.cells().cell0()
    expect((await cell0.store.instances.get(unplaceable.br.uuid)).vm_state).toBe(VmState.ERROR)
    expect(await cell().instances.find(unplaceable.br.uuid, true)).toBeUndefined()
  })

  it('builds a server whose build request a twin delivery took, and undoes one the user deleted', async () => {
    /** A conductor whose scheduling is overtaken: `meanwhile` runs before it makes the instance. */
    async function overtaken(meanwhile: (uuid: string) => Promise<unknown>): Promise<string> {
      const { br, spec } = await recordBuildRequest(api(), 'overtaken')
      const scheduler = realScheduler()
      const tasks = await taskManager({
        selectDestinations: async (...args) => {
          const selections = await scheduler.selectDestinations(...args)
          await meanwhile(br.uuid)
          return selections
        },
      })
      await tasks.schedule_and_build_instances(ctx, { build_requests: [br], request_specs: [spec] })
      await cloud.settle()
      return br.uuid
    }
    // A twin took the build request (and would only resume the build): this one builds it.
    const twinTook = await overtaken((uuid) => api().deleteBuildRequest(uuid))
    await client.waitForStatus([twinTook], 'ACTIVE')
    // The user deleted it while it was being scheduled: gone, its claim given back.
    const userDeleted = await overtaken((uuid) => api().cancelBuildRequest(uuid))
    expect(await cell().instances.find(userDeleted)).toBeUndefined()
    expect(await cell().nodes.allocationNode(userDeleted)).toBeUndefined()
    expect((await client.getServer(userDeleted)).status).toBe(404)
  })

  describe('a create the API cannot hand to a conductor', () => {
    const request: CreateServerRequest = {
      name: 'unsent',
      flavorRef: '1',
      imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
      minCount: 2,
      maxCount: 2,
      availabilityZone: null,
      keyName: null,
      userData: null,
      metadata: {},
      description: null,
      accessIPv4: null,
      accessIPv6: null,
      configDrive: null,
      schedulerHints: {},
    }

    function computeApi(cast: ComputeTaskClient['scheduleAndBuildInstances']): ComputeApi {
      const cells = cloud.runtime.cells()
      return new ComputeApi(
        api(),
        cells,
        { scheduleAndBuildInstances: cast } as ComputeTaskClient,
        new HostApi(cells, { serviceDownTimeS: 60, defaultAvailabilityZone: 'nova' }),
        { defaultAvailabilityZone: 'nova' },
        log,
      )
    }

    it('is refused, and leaves nothing behind', async () => {
      let uuids: string[] = []
      const refusing = computeApi(async (_ctx, args) => {
        uuids = args.build_requests.map((b) => b.uuid)
        throw new MessagingUnavailable('The message broker is unreachable')
      })
      await expect(refusing.create(ctx, request)).rejects.toBeInstanceOf(MessagingUnavailable)
      expect(uuids).toHaveLength(2)
      for (const uuid of uuids) {
        expect(await api().getBuildRequest(uuid)).toBeUndefined()
        expect(await api().getRequestSpec(uuid)).toBeUndefined()
        expect(await api().getInstanceMapping(uuid)).toBeUndefined()
      }
      const listed = await client.request<{ servers: { id: string }[] }>('GET', '/v2.1/servers')
      expect(listed.body.servers.map((s) => s.id)).not.toContain(uuids[0])
    })

    it('stands when a conductor took it although sending reported a failure', async () => {
      const tookOne = computeApi(async (_ctx, args) => {
        // The publish was confirmed late: a conductor already took the first server.
        await api().deleteBuildRequest(args.build_requests[0]!.uuid)
        throw new MessagingUnavailable('The message broker did not confirm a publish')
      })
      const { instances } = await tookOne.create(ctx, request)
      expect(await api().getBuildRequest(instances[1]!.uuid)).toBeDefined()
      expect(await api().getInstanceMapping(instances[0]!.uuid)).toBeDefined()
      for (const { uuid } of instances) await api().deleteBuildRequest(uuid)
    })
  })
})
