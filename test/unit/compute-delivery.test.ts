/**
 * compute's reports to the conductor survive the message bus going away: each is retried until
 * delivered, and an update that had landed on an attempt whose reply was lost counts as delivered.
 */
import { describe, expect, it } from 'vitest'
import { ComputeManager } from '../../src/compute/manager.js'
import type { BuildAndRunInstanceArgs } from '../../src/compute/rpcapi.js'
import type { ComputeTaskClient, ConductorClient, InstanceUpdateArgs } from '../../src/conductor/rpcapi.js'
import type { Flavor } from '../../src/objects/flavor.js'
import type { Instance } from '../../src/objects/instance.js'
import { TaskState, VmState } from '../../src/objects/states.js'
import type { RetryPolicy } from '../../src/rpc/retry.js'
import { makeContext } from '../../src/shared/context.js'
import {
  MessagingTimeout,
  MessagingUnavailable,
  UnexpectedDeletingTaskStateError,
  UnexpectedTaskStateError,
} from '../../src/shared/errors.js'
import { createLogger } from '../../src/shared/logger.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'

const log = createLogger({ name: 'test' })
log.level = 'silent'
const FAST: RetryPolicy = { giveUpAfterMs: 1000, initialDelayMs: 5, maxDelayMs: 20 }
const HOST = 'cmp-1'
const ctx = makeContext()

type Outcome = 'ok' | Error
type UpdateCall = { task_state: string | null | undefined; vm_state: string | null | undefined }

/** A conductor that answers each call from a script (then 'ok'), and records what it was sent. */
class ScriptedConductor {
  readonly updates: UpdateCall[] = []
  destroys = 0
  instancesHere: Instance[] = []

  constructor(private readonly script: Record<string, Outcome[]>) {}

  private answer(method: string): Promise<void> {
    const next = this.script[method]?.shift() ?? 'ok'
    return next === 'ok' ? Promise.resolve() : Promise.reject(next)
  }

  instanceUpdate(_ctx: unknown, args: InstanceUpdateArgs): Promise<void> {
    this.updates.push({ task_state: args.updates.task_state, vm_state: args.updates.vm_state })
    return this.answer('instanceUpdate')
  }

  instanceDestroy(): Promise<void> {
    this.destroys++
    return this.answer('instanceDestroy')
  }

  instanceFaultCreate(): Promise<void> {
    return this.answer('instanceFaultCreate')
  }

  async instanceGetAllByHost(): Promise<Instance[]> {
    return this.instancesHere
  }
}

function instance(fields: Partial<Instance> = {}): Instance {
  return {
    uuid: '6f1c5bde-0d5f-4b35-9e37-2d9d6d3f0a11',
    host: HOST,
    node: HOST,
    vm_state: VmState.BUILDING,
    task_state: TaskState.SCHEDULING,
    flavor: {} as Flavor,
    ...fields,
  } as Instance
}

function buildArgs(): BuildAndRunInstanceArgs {
  return {
    instance: instance(),
    request_spec: {} as BuildAndRunInstanceArgs['request_spec'],
    filter_properties: {},
    node: HOST,
    host_list: [],
  }
}

async function computeWith(
  conductor: ScriptedConductor,
  spawnDelayS = 0,
): Promise<{ manager: ComputeManager; driver: FakeDriver }> {
  const driver = new FakeDriver({ vcpus: 8, memory_mb: 8192, local_gb: 100, spawnDelayS, failBuild: false })
  await driver.init(HOST)
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
  return { manager, driver }
}

describe('compute reports to the conductor', () => {
  it('retries the build result until delivered, and takes a lost reply for delivered', async () => {
    const conductor = new ScriptedConductor({
      // spawning: fine; active: no reply twice, then the CAS finds its own first attempt applied.
      instanceUpdate: [
        'ok',
        new MessagingTimeout('no reply'),
        new MessagingUnavailable('broker away'),
        new UnexpectedTaskStateError('x', [TaskState.SPAWNING], null),
      ],
    })
    const { manager, driver } = await computeWith(conductor)
    await manager.build_and_run_instance(ctx, buildArgs())
    expect(await driver.listInstances()).toEqual([instance().uuid])
    expect(conductor.updates.map((u) => u.vm_state ?? u.task_state)).toEqual([
      TaskState.SPAWNING,
      VmState.ACTIVE,
      VmState.ACTIVE,
      VmState.ACTIVE,
    ])
  })

  it('builds when its spawning update landed but the reply was lost, not when another build owns it', async () => {
    const lostReply = new ScriptedConductor({
      instanceUpdate: [
        new MessagingTimeout('no reply'),
        new UnexpectedTaskStateError('x', [TaskState.SCHEDULING, null], TaskState.SPAWNING),
      ],
    })
    lostReply.instancesHere = [instance({ task_state: TaskState.SPAWNING })]
    const built = await computeWith(lostReply)
    await built.manager.build_and_run_instance(ctx, buildArgs())
    expect(await built.driver.listInstances()).toHaveLength(1)

    const elsewhere = new ScriptedConductor({
      instanceUpdate: [new UnexpectedTaskStateError('x', [TaskState.SCHEDULING, null], TaskState.SPAWNING)],
    })
    // Spawning, but not on this host: a stale build message for an instance rescheduled away.
    const skipped = await computeWith(elsewhere)
    await skipped.manager.build_and_run_instance(ctx, buildArgs())
    expect(await skipped.driver.listInstances()).toEqual([])
  })

  it('spawns once when the same build arrives while it is under way', async () => {
    const conductor = new ScriptedConductor({})
    const { manager } = await computeWith(conductor, 0.05)
    await Promise.all([
      manager.build_and_run_instance(ctx, buildArgs()),
      manager.build_and_run_instance(ctx, buildArgs()),
    ])
    expect(conductor.updates.filter((u) => u.task_state === TaskState.SPAWNING)).toHaveLength(1)
  })

  it('stops at a delete that won, and retries a destroy until delivered', async () => {
    const deleted = new ScriptedConductor({
      instanceUpdate: [
        'ok',
        new UnexpectedDeletingTaskStateError('x', [TaskState.SPAWNING], TaskState.DELETING),
      ],
    })
    const { manager } = await computeWith(deleted)
    await manager.build_and_run_instance(ctx, buildArgs())
    expect(deleted.updates).toHaveLength(2)

    const conductor = new ScriptedConductor({
      instanceDestroy: [new MessagingUnavailable('broker away'), new MessagingTimeout('no reply')],
    })
    const terminating = await computeWith(conductor)
    await terminating.manager.terminate_instance(ctx, {
      instance: instance({ task_state: TaskState.DELETING }),
    })
    expect(conductor.destroys).toBe(3)
  })

  it('gives up after the retry period, with the last error', async () => {
    const conductor = new ScriptedConductor({
      instanceDestroy: Array.from({ length: 1000 }, () => new MessagingUnavailable('broker away')),
    })
    const { manager } = await computeWith(conductor)
    const started = Date.now()
    await expect(
      manager.terminate_instance(ctx, { instance: instance({ task_state: TaskState.DELETING }) }),
    ).rejects.toBeInstanceOf(MessagingUnavailable)
    expect(Date.now() - started).toBeLessThan(FAST.giveUpAfterMs + 500)
  })
})
