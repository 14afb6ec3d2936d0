import type { ComputeNodeReport } from '../objects/compute-node.js'
import type {
  BuildRequestInstance,
  Instance,
  InstanceUpdates,
  RequestSpec,
  Selection,
} from '../objects/instance.js'
import type { ActionEventReport } from '../objects/instance-action.js'
import type { ServiceRecord } from '../objects/service.js'
import type { Rpc, RpcClient } from '../rpc/rpc.js'
import type { RequestContext } from '../shared/context.js'

export const CONDUCTOR_TOPIC = 'conductor'
/** The base API: what services without a database ask the conductor to do for them. */
export const CONDUCTOR_RPC_VERSION = '3.0'
/** The `compute_task` namespace: build and move orchestration. */
export const COMPUTE_TASK_NAMESPACE = 'compute_task'
export const COMPUTE_TASK_RPC_VERSION = '1.24'

export interface ScheduleAndBuildArgs {
  readonly build_requests: readonly BuildRequestInstance[]
  readonly request_specs: readonly RequestSpec[]
}

export interface InstanceUpdateArgs {
  readonly instance_uuid: string
  readonly updates: InstanceUpdates
  readonly expected_task_state?: (string | null)[]
  readonly expected_vm_state?: string
  /**
   * The instance-action event this state change starts or ends. It rides on the update rather
   * than a call of its own, so recording events costs a build no extra round trips.
   */
  readonly action_event?: ActionEventReport
}

export interface InstanceDestroyArgs {
  readonly instance_uuid: string
  readonly action_event?: ActionEventReport
}

export interface BuildInstancesArgs {
  readonly instance: Instance
  readonly request_spec: RequestSpec
  /** Alternates left for this instance; the first one is tried next. */
  readonly host_list: readonly Selection[]
  readonly num_attempts: number
  readonly reason: string
}

/** Database work done on behalf of compute hosts (Nova's indirection API, as plain methods). */
export interface ConductorRpc {
  instance_update(ctx: RequestContext, args: InstanceUpdateArgs): Promise<void>
  instance_destroy(ctx: RequestContext, args: InstanceDestroyArgs): Promise<void>
  instance_fault_create(
    ctx: RequestContext,
    args: { instance_uuid: string; code: number; message: string; details: string | null; host: string },
  ): Promise<void>
  instance_get_all_by_host(ctx: RequestContext, args: { host: string }): Promise<Instance[]>
  service_get_or_create(
    ctx: RequestContext,
    args: { host: string; binary: string; topic: string; version: number },
  ): Promise<ServiceRecord>
  service_report_state(ctx: RequestContext, args: { service_id: number }): Promise<null>
  compute_node_update(
    ctx: RequestContext,
    args: { service_id: number; report: ComputeNodeReport },
  ): Promise<void>
}

export interface ComputeTaskRpc {
  schedule_and_build_instances(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void>
  build_instances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void>
}

/** What compute hosts call: each method is a call (compute waits for the database write). */
export class ConductorClient {
  private readonly client: RpcClient

  constructor(rpc: Rpc) {
    this.client = rpc.client({ topic: CONDUCTOR_TOPIC, version: CONDUCTOR_RPC_VERSION })
  }

  instanceUpdate(ctx: RequestContext, args: InstanceUpdateArgs): Promise<void> {
    return this.client.call(ctx, 'instance_update', args)
  }

  instanceDestroy(ctx: RequestContext, args: InstanceDestroyArgs): Promise<void> {
    return this.client.call(ctx, 'instance_destroy', args)
  }

  instanceFaultCreate(
    ctx: RequestContext,
    args: { instance_uuid: string; code: number; message: string; details: string | null; host: string },
  ): Promise<void> {
    return this.client.call(ctx, 'instance_fault_create', args)
  }

  instanceGetAllByHost(ctx: RequestContext, host: string): Promise<Instance[]> {
    return this.client.call(ctx, 'instance_get_all_by_host', { host })
  }

  serviceGetOrCreate(
    ctx: RequestContext,
    args: { host: string; binary: string; topic: string; version: number },
  ): Promise<ServiceRecord> {
    return this.client.call(ctx, 'service_get_or_create', args)
  }

  serviceReportState(ctx: RequestContext, serviceId: number): Promise<null> {
    return this.client.call(ctx, 'service_report_state', { service_id: serviceId })
  }

  computeNodeUpdate(ctx: RequestContext, serviceId: number, report: ComputeNodeReport): Promise<void> {
    return this.client.call(ctx, 'compute_node_update', { service_id: serviceId, report })
  }
}

/** What the API (and compute, to reschedule) casts to the conductor's build orchestration. */
export class ComputeTaskClient {
  private readonly client: RpcClient

  constructor(rpc: Rpc) {
    this.client = rpc.client({
      topic: CONDUCTOR_TOPIC,
      version: COMPUTE_TASK_RPC_VERSION,
      namespace: COMPUTE_TASK_NAMESPACE,
    })
  }

  scheduleAndBuildInstances(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    return this.client.cast(ctx, 'schedule_and_build_instances', args)
  }

  buildInstances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    return this.client.cast(ctx, 'build_instances', args)
  }
}
