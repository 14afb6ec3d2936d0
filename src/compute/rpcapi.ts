import type { Instance, RequestSpec, Selection } from '../objects/instance.js'
import { type Rpc, VersionedRpcClient } from '../rpc/rpc.js'
import { type RpcApiVersions, UNCAPPED, type VersionCapSource } from '../rpc/version-cap.js'
import type { RequestContext } from '../shared/context.js'

export const COMPUTE_TOPIC = 'compute'

/** Nova's `MAX_CONSOLE_BYTES` (libvirt): the most of a console log the API ever answers with. */
export const MAX_CONSOLE_OUTPUT_BYTES = 100 * 1024

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

/**
 * `get_console_output` as a 6.1 server receives it. 6.1 senders give `tail_length` as an integer
 * and may give `max_bytes`; 6.0 senders give `tail_length` as the API got it (an integer or the
 * string of one) and never `max_bytes`.
 */
export interface GetConsoleOutputArgs {
  readonly instance: Instance
  readonly tail_length: number | string | null
  /** The most of the log's end to answer with (6.1); absent or null: all of it. */
  readonly max_bytes?: number | null
}

/** The compute service's RPC surface (`compute.<host>`). */
export interface ComputeRpc {
  build_and_run_instance(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void>
  terminate_instance(ctx: RequestContext, args: { instance: Instance }): Promise<void>
  get_console_output(ctx: RequestContext, args: GetConsoleOutputArgs): Promise<string>
}

/**
 * The compute RPC API's versions. tsnova's compute API starts at Nova's 6.0, and every form it
 * sent then is 6.0. A new form bumps `current`, names its version here, adds a line to `history`,
 * and a SERVICE_VERSION_HISTORY entry (src/service/versions.ts) so `auto` caps know who speaks it.
 */
export const COMPUTE_RPC_API = {
  name: 'compute',
  current: '6.1',
  methods: {
    build_and_run_instance: '6.0',
    terminate_instance: '6.0',
    get_console_output: '6.1',
  },
  history: [
    ['6.0', "Nova's compute RPC API 6.0: build_and_run_instance, terminate_instance, get_console_output"],
    ['6.1', 'get_console_output: tail_length is an integer (or null) only, and max_bytes is added'],
  ],
} as const satisfies RpcApiVersions<keyof ComputeRpc>

export const COMPUTE_RPC_VERSION = COMPUTE_RPC_API.current

/**
 * Every compute call goes to one host's queue: `compute.<host>`. Under a cap, each method:
 * - build_and_run_instance, terminate_instance (6.0): no older form in major 6; a cap below 6.0
 *   fails fast with RpcVersionCapError.
 * - get_console_output (6.1): capped at 6.0, the 6.0 form is sent (no max_bytes) and the answer
 *   is cut to `maxBytes` here, so the caller gets the same text; only more of it crosses the bus.
 */
export class ComputeClient {
  private readonly client: VersionedRpcClient<keyof ComputeRpc>

  /** `cap`: `[upgrade_levels] compute` (none by default). */
  constructor(rpc: Rpc, cap: VersionCapSource = UNCAPPED) {
    this.client = new VersionedRpcClient(rpc, { topic: COMPUTE_TOPIC }, COMPUTE_RPC_API, cap)
  }

  buildAndRunInstance(ctx: RequestContext, host: string, args: BuildAndRunInstanceArgs): Promise<void> {
    return this.client.cast(ctx, 'build_and_run_instance', args, { server: host })
  }

  terminateInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.client.cast(ctx, 'terminate_instance', { instance }, { server: instance.host! })
  }

  /**
   * An RPC call: the API waits for the host's answer, the last `tailLength` lines (all when
   * null), of which at most the last `maxBytes`.
   */
  async getConsoleOutput(
    ctx: RequestContext,
    instance: Instance,
    tailLength: number | string | null,
    maxBytes: number = MAX_CONSOLE_OUTPUT_BYTES,
  ): Promise<string> {
    const client = await this.client.router(instance.host!)
    const tail_length = tailLength === null ? null : tailLengthAsInteger(tailLength)
    const version = COMPUTE_RPC_API.methods.get_console_output
    if (client.canSendVersion(version)) {
      const args: GetConsoleOutputArgs = { instance, tail_length, max_bytes: maxBytes }
      return client.prepare({ version }).call(ctx, 'get_console_output', args)
    }
    // An integer tail_length is a valid 6.0 one too; max_bytes is not, so the cut is done here.
    const output = await client
      .prepare({ version: '6.0' })
      .call<string>(ctx, 'get_console_output', { instance, tail_length })
    return lastBytesOfConsole(output, maxBytes)
  }
}

/**
 * Nova's `_tail_log` reads the length with `int()`, and a length that is no integer as 0. The
 * API's schema lets an integer's string through: 6.1 senders turn it into the integer once.
 */
export function tailLengthAsInteger(length: number | string): number {
  if (typeof length === 'number') return Math.trunc(length)
  return /^\s*[+-]?\d+\s*$/.test(length) ? Number(length) : 0
}

/**
 * The end of a console answer, at most `maxBytes` long. The answer is ASCII (compute replaces
 * anything else with U+FFFD, as Nova decodes the log as ASCII), one character per byte read.
 */
export function lastBytesOfConsole(output: string, maxBytes: number): string {
  if (!Number.isInteger(maxBytes) || maxBytes < 0 || output.length <= maxBytes) return output
  return maxBytes === 0 ? '' : output.slice(-maxBytes)
}
