import type { RequestSpec, Selection } from '../objects/instance.js'
import type { Rpc, RpcClient } from '../rpc/rpc.js'
import type { RequestContext } from '../shared/context.js'

export const SCHEDULER_TOPIC = 'scheduler'
export const SCHEDULER_RPC_VERSION = '4.5'

export interface SelectDestinationsArgs {
  readonly spec_obj: RequestSpec
  readonly instance_uuids: readonly string[]
  readonly return_objects: boolean
  readonly return_alternates: boolean
}

/** The scheduler's RPC surface, implemented by SchedulerManager and called through SchedulerClient. */
export interface SchedulerRpc {
  /** One list per instance: the chosen host first, then its alternates. */
  select_destinations(ctx: RequestContext, args: SelectDestinationsArgs): Promise<Selection[][]>
}

export class SchedulerClient {
  private readonly client: RpcClient

  constructor(
    rpc: Rpc,
    /** Nova's `long_rpc_timeout`: a select_destinations on a big cloud may take long. */
    private readonly timeoutS: number,
  ) {
    this.client = rpc.client({ topic: SCHEDULER_TOPIC, version: SCHEDULER_RPC_VERSION })
  }

  selectDestinations(
    ctx: RequestContext,
    spec: RequestSpec,
    instanceUuids: readonly string[],
  ): Promise<Selection[][]> {
    const args: SelectDestinationsArgs = {
      spec_obj: spec,
      instance_uuids: instanceUuids,
      return_objects: true,
      return_alternates: true,
    }
    return this.client.call(ctx, 'select_destinations', args, this.timeoutS)
  }
}
