import { TaskState, VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { InstanceNotFound } from '../../shared/errors.js'
import type { BuildInstancesArgs } from '../rpcapi.js'
import { filterProperties, type TaskContext } from './task-context.js'

/**
 * Nova's `build_instances` after a failed build: claim the next alternate host and try there,
 * without asking the scheduler again, until none is left or `max_attempts` is reached.
 */
export class RescheduleBuild {
  constructor(private readonly tasks: TaskContext) {}

  async run(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    const uuid = args.instance.uuid
    const cell = await this.tasks.cells.forInstance(uuid)
    if (!cell) throw new InstanceNotFound(uuid)
    const { store } = cell
    await store.nodes.release(uuid)
    const alternates = args.num_attempts < this.tasks.maxAttempts ? [...args.host_list] : []
    while (alternates.length > 0) {
      const next = alternates.shift()!
      // Alternates are hosts of the instance's own cell: the scheduler picks them there.
      const node = await store.nodes.find(next.service_host, next.nodename)
      if (!node) continue
      const claimed = await store.nodes.claim(node.id, uuid, {
        vcpus: args.request_spec.flavor.vcpus,
        memory_mb: args.request_spec.flavor.memory_mb,
        disk_gb: args.request_spec.flavor.root_gb + args.request_spec.flavor.ephemeral_gb,
      })
      if (!claimed) continue
      const updates = { host: next.service_host, node: next.nodename, task_state: TaskState.SCHEDULING }
      await store.instances.update(uuid, updates, [TaskState.SCHEDULING, null])
      const instance = { ...args.instance, ...updates }
      await cell.compute.buildAndRunInstance(ctx, next.service_host, {
        instance,
        request_spec: args.request_spec,
        filter_properties: filterProperties(
          this.tasks,
          args.num_attempts + 1,
          next.service_host,
          next.nodename,
        ),
        node: next.nodename,
        host_list: alternates,
      })
      return
    }
    const message = `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`
    await store.instances.addFault(uuid, {
      code: 500,
      message,
      details: args.reason,
      host: args.instance.host,
    })
    await store.instances.update(uuid, { vm_state: VmState.ERROR, task_state: null })
  }
}
