/**
 * The host side of the single-host actions, against a scripted conductor: each operation's
 * reports (compare-and-swap on the task_state the API set, with the compute's event), what a
 * driver failure leaves (a fault, an Error event, the state Nova leaves), reports the conductor
 * refuses (dropped, never retried), reports the bus loses (retried), and the actions a restarted
 * host finds in flight.
 */
import { describe, expect, it } from 'vitest'
import { ComputeManager } from '../../src/compute/manager.js'
import type { ComputeTaskClient, ConductorClient, InstanceUpdateArgs } from '../../src/conductor/rpcapi.js'
import type { Flavor } from '../../src/objects/flavor.js'
import type { Instance } from '../../src/objects/instance.js'
import { PowerState, TaskState, VmState } from '../../src/objects/states.js'
import type { RetryPolicy } from '../../src/rpc/retry.js'
import { makeContext } from '../../src/shared/context.js'
import {
  InstancePasswordSetFailed,
  MessagingUnavailable,
  NotImplementedByDriver,
  UnexpectedTaskStateError,
} from '../../src/shared/errors.js'
import { createLogger } from '../../src/shared/logger.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'

const log = createLogger({ name: 'test' })
log.level = 'silent'
const FAST: RetryPolicy = { giveUpAfterMs: 1000, initialDelayMs: 5, maxDelayMs: 20 }
const HOST = 'act-1'
const ctx = makeContext()
const UUID = '1b7f3c52-4a8e-4d2c-9a0e-6c1d2e3f4a5b'

type Outcome = 'ok' | Error

/** A conductor answering from a script (then 'ok'), recording every update and fault. */
class ScriptedConductor {
  readonly updates: InstanceUpdateArgs[] = []
  readonly faults: { message: string; code: number }[] = []
  instancesHere: Instance[] = []

  constructor(private readonly script: Outcome[] = []) {}

  instanceUpdate(_ctx: unknown, args: InstanceUpdateArgs): Promise<void> {
    this.updates.push(args)
    const next = this.script.shift() ?? 'ok'
    return next === 'ok' ? Promise.resolve() : Promise.reject(next)
  }

  async instanceFaultCreate(_ctx: unknown, args: { message: string; code: number }): Promise<void> {
    this.faults.push({ message: args.message, code: args.code })
  }

  async instanceGetAllByHost(): Promise<Instance[]> {
    return this.instancesHere
  }

  async computeNodeUpdate(): Promise<void> {}
}

function instance(fields: Partial<Instance> = {}): Instance {
  return {
    uuid: UUID,
    host: HOST,
    node: HOST,
    vm_state: VmState.ACTIVE,
    task_state: null,
    power_state: PowerState.RUNNING,
    flavor: { vcpus: 1, memory_mb: 64, root_gb: 1, ephemeral_gb: 0 } as Flavor,
    ...fields,
  } as Instance
}

async function host(script: Outcome[] = []) {
  const conductor = new ScriptedConductor(script)
  const driver = new FakeDriver({
    vcpus: 8,
    memory_mb: 8192,
    local_gb: 100,
    spawnDelayS: 0,
    failBuild: false,
  })
  await driver.init(HOST)
  await driver.spawn(instance())
  const manager = new ComputeManager(
    driver,
    conductor as unknown as ConductorClient,
    {} as ComputeTaskClient,
    {
      host: HOST,
      hostIp: '127.0.0.1',
      maxConcurrentBuilds: 10,
      allocationRatios: { cpu: 1, ram: 1, disk: 1 },
      reserved: { vcpus: 0, memoryMb: 0, diskGb: 0 },
    },
    log,
    FAST,
  )
  return { manager, driver, conductor }
}

describe('single-host operations report their outcome', () => {
  it('stop: SHUTOFF with the guest’s power state, a compare-and-swap on powering-off, with its event', async () => {
    const { manager, driver, conductor } = await host()
    await manager.stop_instance(ctx, {
      instance: instance({ task_state: TaskState.POWERING_OFF }),
      clean_shutdown: true,
    })
    expect((await driver.getInfo(instance()))?.power_state).toBe(PowerState.SHUTDOWN)
    expect(conductor.updates).toEqual([
      {
        instance_uuid: UUID,
        updates: { power_state: PowerState.SHUTDOWN, vm_state: VmState.STOPPED, task_state: null },
        expected_task_state: [TaskState.POWERING_OFF],
        action_event: expect.objectContaining({
          event: 'compute_stop_instance',
          result: 'Success',
          host: HOST,
        }),
      },
    ])
  })

  it('stop of a guest off already also accepts an instance whose task_state was cleared meanwhile', async () => {
    const { manager, driver, conductor } = await host()
    driver.simulatePowerState(UUID, PowerState.SHUTDOWN)
    await manager.stop_instance(ctx, {
      instance: instance({ task_state: TaskState.POWERING_OFF }),
      clean_shutdown: true,
    })
    expect(conductor.updates[0]!.expected_task_state).toEqual([TaskState.POWERING_OFF, null])
  })

  it('a report the conductor refuses is dropped, not retried; one the bus loses is retried until delivered', async () => {
    const refused = await host([new UnexpectedTaskStateError(UUID, [TaskState.PAUSING], TaskState.DELETING)])
    await refused.manager.pause_instance(ctx, { instance: instance({ task_state: TaskState.PAUSING }) })
    expect(refused.conductor.updates).toHaveLength(1)

    const lost = await host([new MessagingUnavailable('broker away'), new MessagingUnavailable('still away')])
    await lost.manager.pause_instance(ctx, { instance: instance({ task_state: TaskState.PAUSING }) })
    expect(lost.conductor.updates.map((u) => u.updates.vm_state)).toEqual([
      VmState.PAUSED,
      VmState.PAUSED,
      VmState.PAUSED,
    ])
  })

  it('a driver failure: a fault, the task_state cleared (vm_state kept), an Error event; the error goes on', async () => {
    const { manager, driver, conductor } = await host()
    driver.failNext('pause', new Error('no can do'))
    await expect(
      manager.pause_instance(ctx, { instance: instance({ task_state: TaskState.PAUSING }) }),
    ).rejects.toThrow('no can do')
    expect(conductor.faults).toEqual([{ message: 'no can do', code: 500 }])
    expect(conductor.updates).toEqual([
      expect.objectContaining({
        updates: { task_state: null },
        expected_task_state: [TaskState.PAUSING],
        action_event: expect.objectContaining({ result: 'Error', details: 'no can do' }),
      }),
    ])
  })

  it('suspend and resume failures put the server in ERROR, unless the driver cannot do it at all', async () => {
    const { manager, driver, conductor } = await host()
    driver.failNext('suspend')
    await expect(
      manager.suspend_instance(ctx, { instance: instance({ task_state: TaskState.SUSPENDING }) }),
    ).rejects.toThrow()
    driver.failNext('suspend', new NotImplementedByDriver('no suspend here'))
    await expect(
      manager.suspend_instance(ctx, { instance: instance({ task_state: TaskState.SUSPENDING }) }),
    ).rejects.toThrow()
    driver.failNext('resume', new NotImplementedByDriver('no resume here'))
    const suspended = instance({ vm_state: VmState.SUSPENDED, task_state: TaskState.RESUMING })
    await expect(manager.resume_instance(ctx, { instance: suspended })).rejects.toThrow()
    expect(conductor.updates.map((u) => u.updates)).toEqual([
      { vm_state: VmState.ERROR, task_state: null },
      { vm_state: VmState.ACTIVE, task_state: null },
      { vm_state: VmState.SUSPENDED, task_state: null },
    ])
  })

  it('reboot: acknowledged, started, then ACTIVE; a failure with the guest still running is a fault and no more', async () => {
    const { manager, driver, conductor } = await host()
    const rebooting = instance({ task_state: TaskState.REBOOTING })
    await manager.reboot_instance(ctx, { instance: rebooting, block_device_info: null, reboot_type: 'SOFT' })
    expect(conductor.updates.map((u) => [u.updates.task_state, u.expected_task_state])).toEqual([
      [TaskState.REBOOT_PENDING, [TaskState.REBOOTING, TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED]],
      [TaskState.REBOOT_STARTED, [TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED]],
      [null, [TaskState.REBOOT_STARTED]],
    ])
    expect(conductor.updates[2]!.updates.vm_state).toBe(VmState.ACTIVE)

    conductor.updates.length = 0
    driver.failNext('reboot', new Error('guest agent timed out'))
    await manager.reboot_instance(ctx, { instance: rebooting, block_device_info: null, reboot_type: 'SOFT' })
    expect(conductor.faults.map((f) => f.message)).toEqual(['guest agent timed out'])
    expect(conductor.updates[2]).toMatchObject({
      updates: { vm_state: VmState.ACTIVE, task_state: null },
      action_event: { result: 'Success' },
    })
  })

  it('a hard reboot that leaves the guest down puts the server in ERROR', async () => {
    const { manager, driver, conductor } = await host()
    driver.simulatePowerState(UUID, PowerState.SHUTDOWN)
    driver.failNext('reboot', new Error('cannot start the guest'))
    const args = {
      instance: instance({ task_state: TaskState.REBOOTING_HARD }),
      block_device_info: null,
      reboot_type: 'HARD' as const,
    }
    await expect(manager.reboot_instance(ctx, args)).rejects.toThrow('cannot start the guest')
    expect(conductor.updates.at(-1)).toMatchObject({
      updates: { vm_state: VmState.ERROR, task_state: null },
      expected_task_state: [TaskState.REBOOT_STARTED_HARD],
      action_event: { result: 'Error' },
    })
  })

  it('a reboot whose instance was taken over (deleted, reset) stops at once: no reboot, no more reports', async () => {
    const { manager, driver, conductor } = await host([
      new UnexpectedTaskStateError(UUID, [TaskState.REBOOTING], TaskState.DELETING),
    ])
    driver.failNext('reboot', new Error('must not be called'))
    const args = {
      instance: instance({ task_state: TaskState.REBOOTING }),
      block_device_info: null,
      reboot_type: 'SOFT' as const,
    }
    await manager.reboot_instance(ctx, args)
    expect(conductor.updates).toHaveLength(1)
    expect(conductor.faults).toEqual([])
  })

  it('set_admin_password: refused for a guest not running; other driver failures hide their words', async () => {
    const { manager, driver, conductor } = await host()
    const updating = instance({ task_state: TaskState.UPDATING_PASSWORD })
    await manager.set_admin_password(ctx, { instance: updating, new_pass: 'p1' })
    expect(driver.adminPasswordOf(UUID)).toBe('p1')

    driver.simulatePowerState(UUID, PowerState.PAUSED)
    const notRunning = await manager
      .set_admin_password(ctx, { instance: updating, new_pass: 'p2' })
      .catch((e: Error) => e)
    expect(notRunning).toBeInstanceOf(InstancePasswordSetFailed)
    expect((notRunning as Error).message).toBe(
      `Failed to set admin password on ${UUID} because instance ${UUID} is not running`,
    )

    driver.simulatePowerState(UUID, PowerState.RUNNING)
    driver.failNext('setAdminPassword', new Error('agent said: bad password p3'))
    const failed = await manager
      .set_admin_password(ctx, { instance: updating, new_pass: 'p3' })
      .catch((e: Error) => e)
    expect((failed as Error).message).toBe(
      `Failed to set admin password on ${UUID} because error setting admin password`,
    )
    expect(conductor.updates.map((u) => u.updates)).toEqual([
      { task_state: null },
      { task_state: null },
      { task_state: null },
    ])
  })

  it('trigger_crash_dump moves nothing: its event is reported alone', async () => {
    const { manager, driver, conductor } = await host()
    await manager.trigger_crash_dump(ctx, { instance: instance() })
    expect(driver.crashDumpsOf(UUID)).toBe(1)
    expect(conductor.updates).toEqual([
      {
        instance_uuid: UUID,
        updates: {},
        action_event: expect.objectContaining({ event: 'compute_trigger_crash_dump', result: 'Success' }),
      },
    ])
  })
})

describe('one operation per instance at a time', () => {
  it('a duplicate waits for the first, then finds its work reported', async () => {
    const { manager, driver, conductor } = await host([
      'ok',
      new UnexpectedTaskStateError(UUID, [TaskState.POWERING_OFF], null),
    ])
    let inside = 0
    let most = 0
    const powerOff = driver.powerOff.bind(driver)
    driver.powerOff = async (i, o) => {
      most = Math.max(most, ++inside)
      await new Promise((r) => setTimeout(r, 20))
      await powerOff(i, o)
      inside--
    }
    const args = { instance: instance({ task_state: TaskState.POWERING_OFF }), clean_shutdown: true }
    await Promise.all([manager.stop_instance(ctx, args), manager.stop_instance(ctx, args)])
    expect(most).toBe(1)
    expect(conductor.updates.map((u) => u.updates.vm_state)).toEqual([VmState.STOPPED, VmState.STOPPED])
  })
})

describe('a restarted host finishes the actions it had in flight', () => {
  it('records where the guest got to, runs again what it did not, and drops a password change', async () => {
    const { manager, driver, conductor } = await host()
    await driver.spawn(instance({ uuid: 'b0000000-0000-4000-8000-000000000002' }))
    await driver.spawn(instance({ uuid: 'b0000000-0000-4000-8000-000000000003' }))
    driver.simulatePowerState(UUID, PowerState.SHUTDOWN)
    conductor.instancesHere = [
      // Stopped already: only the record is behind.
      instance({ task_state: TaskState.POWERING_OFF }),
      // Never paused: pause it now.
      instance({ uuid: 'b0000000-0000-4000-8000-000000000002', task_state: TaskState.PAUSING }),
      instance({ uuid: 'b0000000-0000-4000-8000-000000000003', task_state: TaskState.UPDATING_PASSWORD }),
    ]
    await manager.initHost()
    expect(
      conductor.updates.map((u) => [u.instance_uuid.slice(-1), u.updates, u.expected_task_state]),
    ).toEqual([
      [
        'b',
        { vm_state: VmState.STOPPED, power_state: PowerState.SHUTDOWN, task_state: null },
        [TaskState.POWERING_OFF],
      ],
      [
        '2',
        { power_state: PowerState.PAUSED, vm_state: VmState.PAUSED, task_state: null },
        [TaskState.PAUSING],
      ],
      ['3', { task_state: null }, [TaskState.UPDATING_PASSWORD]],
    ])
  })

  it('a soft reboot that had stopped the guest becomes a hard one', async () => {
    const { manager, driver, conductor } = await host()
    driver.simulatePowerState(UUID, PowerState.SHUTDOWN)
    conductor.instancesHere = [instance({ task_state: TaskState.REBOOT_STARTED })]
    await manager.initHost()
    expect(conductor.updates.map((u) => u.updates.task_state)).toEqual([
      TaskState.REBOOT_PENDING_HARD,
      TaskState.REBOOT_PENDING_HARD,
      TaskState.REBOOT_STARTED_HARD,
      null,
    ])
    expect((await driver.getInfo(instance()))?.power_state).toBe(PowerState.RUNNING)
  })
})
