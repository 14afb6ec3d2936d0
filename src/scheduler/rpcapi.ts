import type { RequestSpec, Selection } from '../objects/instance.js'
import { type Rpc, VersionedRpcClient } from '../rpc/rpc.js'
import { type RpcApiVersions, UNCAPPED, type VersionCapSource } from '../rpc/version-cap.js'
import type { RequestContext } from '../shared/context.js'

export const SCHEDULER_TOPIC = 'scheduler'

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

/** The scheduler API's versions: select_destinations in Nova's 4.5 form (objects and alternates). */
export const SCHEDULER_RPC_API = {
  name: 'scheduler',
  current: '4.5',
  methods: { select_destinations: '4.5' },
  history: [['4.5', "Nova's 4.5: select_destinations answers Selection objects with alternates"]],
} as const satisfies RpcApiVersions<keyof SchedulerRpc>

export const SCHEDULER_RPC_VERSION = SCHEDULER_RPC_API.current

/**
 * The conductor's way to the scheduler. select_destinations has no older form to fall back to:
 * Nova's 4.4 form answers neither Selection objects nor alternates, which the conductor needs
 * (Nova raises SelectionObjectsWithOldRPCVersionNotSupported), so a cap below 4.5 fails fast.
 */
export class SchedulerClient {
  private readonly client: VersionedRpcClient<keyof SchedulerRpc>

  constructor(
    rpc: Rpc,
    /** Nova's `long_rpc_timeout`: a select_destinations on a big cloud may take long. */
    private readonly timeoutS: number,
    /** `[upgrade_levels] scheduler` (none by default). */
    cap: VersionCapSource = UNCAPPED,
  ) {
    this.client = new VersionedRpcClient(rpc, { topic: SCHEDULER_TOPIC }, SCHEDULER_RPC_API, cap)
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
    return this.client.call(ctx, 'select_destinations', args, { timeoutS: this.timeoutS })
  }
}
