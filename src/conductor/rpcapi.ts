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
import { type Rpc, VersionedRpcClient } from '../rpc/rpc.js'
import { type RpcApiVersions, UNCAPPED, type VersionCapSource } from '../rpc/version-cap.js'
import type { RequestContext } from '../shared/context.js'

export const CONDUCTOR_TOPIC = 'conductor'
/** The `compute_task` namespace: build and move orchestration. */
export const COMPUTE_TASK_NAMESPACE = 'compute_task'

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

/**
 * The base conductor API's versions: what services without a database ask the conductor to do
 * for them. tsnova's own methods (Nova's 3.0 carries only object calls), all in their first form.
 */
export const CONDUCTOR_RPC_API = {
  name: 'conductor',
  current: '3.0',
  methods: {
    instance_update: '3.0',
    instance_destroy: '3.0',
    instance_fault_create: '3.0',
    instance_get_all_by_host: '3.0',
    service_get_or_create: '3.0',
    service_report_state: '3.0',
    compute_node_update: '3.0',
  },
  history: [['3.0', "tsnova's conductor API, numbered after Nova's 3.0"]],
} as const satisfies RpcApiVersions<keyof ConductorRpc>

export const CONDUCTOR_RPC_VERSION = CONDUCTOR_RPC_API.current

/** The `compute_task` namespace's versions: tsnova starts at Nova's 1.24, every form in its first shape. */
export const COMPUTE_TASK_RPC_API = {
  name: 'compute_task',
  current: '1.24',
  methods: {
    schedule_and_build_instances: '1.24',
    build_instances: '1.24',
  },
  history: [['1.24', "tsnova's build orchestration, numbered after Nova's compute_task 1.24"]],
} as const satisfies RpcApiVersions<keyof ComputeTaskRpc>

export const COMPUTE_TASK_RPC_VERSION = COMPUTE_TASK_RPC_API.current

/**
 * What compute hosts call: each method is a call (compute waits for the database write). Every
 * method is in its 3.0 form, with none older: a cap below 3.0 fails fast with RpcVersionCapError.
 */
export class ConductorClient {
  private readonly client: VersionedRpcClient<keyof ConductorRpc>

  /** `cap`: `[upgrade_levels] conductor`, which compute hosts honour too (none by default). */
  constructor(rpc: Rpc, cap: VersionCapSource = UNCAPPED) {
    this.client = new VersionedRpcClient(rpc, { topic: CONDUCTOR_TOPIC }, CONDUCTOR_RPC_API, cap)
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

/**
 * What the API (and compute, to reschedule) casts to the conductor's build orchestration. As in
 * Nova, `[upgrade_levels] conductor` does not cap this namespace (its versions are another
 * series, and the conductor is upgraded before its callers); a cap given here still applies.
 */
export class ComputeTaskClient {
  private readonly client: VersionedRpcClient<keyof ComputeTaskRpc>

  constructor(rpc: Rpc, cap: VersionCapSource = UNCAPPED) {
    this.client = new VersionedRpcClient(
      rpc,
      { topic: CONDUCTOR_TOPIC, namespace: COMPUTE_TASK_NAMESPACE },
      COMPUTE_TASK_RPC_API,
      cap,
    )
  }

  scheduleAndBuildInstances(ctx: RequestContext, args: ScheduleAndBuildArgs): Promise<void> {
    return this.client.cast(ctx, 'schedule_and_build_instances', args)
  }

  buildInstances(ctx: RequestContext, args: BuildInstancesArgs): Promise<void> {
    return this.client.cast(ctx, 'build_instances', args)
  }
}
