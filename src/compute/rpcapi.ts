import type { Instance, RequestSpec, Selection } from '../objects/instance.js'
import type { Rpc, RpcClient } from '../rpc/rpc.js'
import type { RequestContext } from '../shared/context.js'

export const COMPUTE_TOPIC = 'compute'
export const COMPUTE_RPC_VERSION = '6.0'

/** Nova's filter_properties: `retry` is there when a failed build goes back to the conductor. */
export interface FilterProperties {
  readonly retry?: { readonly num_attempts: number; readonly hosts: string[][] }
}

export interface BuildAndRunInstanceArgs {
  readonly instance: Instance
  readonly request_spec: RequestSpec
  readonly filter_properties: FilterProperties
  readonly node: string
  /** Alternate hosts, for rescheduling without asking the scheduler again. */
  readonly host_list: readonly Selection[]
}

/** The compute service's RPC surface (`compute.<host>`). */
export interface ComputeRpc {
  build_and_run_instance(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void>
  terminate_instance(ctx: RequestContext, args: { instance: Instance }): Promise<void>
  get_console_output(
    ctx: RequestContext,
    args: { instance: Instance; tail_length: number | string | null },
  ): Promise<string>
}

/** Every compute call goes to one host's queue: `compute.<host>`. */
export class ComputeClient {
  private readonly client: RpcClient

  constructor(rpc: Rpc) {
    this.client = rpc.client({ topic: COMPUTE_TOPIC, version: COMPUTE_RPC_VERSION })
  }

  private to(host: string): RpcClient {
    return this.client.prepare({ server: host })
  }

  buildAndRunInstance(ctx: RequestContext, host: string, args: BuildAndRunInstanceArgs): Promise<void> {
    return this.to(host).cast(ctx, 'build_and_run_instance', args)
  }

  terminateInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.to(instance.host!).cast(ctx, 'terminate_instance', { instance })
  }

  /** An RPC call: the API waits for the host's answer (the last `tailLength` lines, or all). */
  getConsoleOutput(
    ctx: RequestContext,
    instance: Instance,
    tailLength: number | string | null,
  ): Promise<string> {
    return this.to(instance.host!).call(ctx, 'get_console_output', { instance, tail_length: tailLength })
  }
}
