import type { ConsoleConnectInfo, ConsoleKind } from '../objects/console.js'
import type { Instance, RequestSpec, Selection } from '../objects/instance.js'
import type { RebootKind } from '../objects/states.js'
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

/** An operation on one instance, named by the instance as the API last saw it. */
export interface InstanceArgs {
  readonly instance: Instance
}

export interface StopInstanceArgs extends InstanceArgs {
  /** Give the guest `shutdown_timeout` to shut down cleanly before forcing it off. */
  readonly clean_shutdown: boolean
}

export interface RebootInstanceArgs extends InstanceArgs {
  /** Always null: the host reads the instance's block devices itself (Nova's 5.0+ senders too). */
  readonly block_device_info: null
  readonly reboot_type: RebootKind
}

export interface SetAdminPasswordArgs extends InstanceArgs {
  readonly new_pass: string
}

/** A console request: the type as the API was given it (`novnc`, `spice-html5`, …). */
export interface GetConsoleArgs extends InstanceArgs {
  readonly console_type: string | null
}

/** The compute service's RPC surface (`compute.<host>`). */
export interface ComputeRpc {
  build_and_run_instance(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void>
  terminate_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  get_console_output(ctx: RequestContext, args: GetConsoleOutputArgs): Promise<string>
  stop_instance(ctx: RequestContext, args: StopInstanceArgs): Promise<void>
  start_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  reboot_instance(ctx: RequestContext, args: RebootInstanceArgs): Promise<void>
  pause_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  unpause_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  suspend_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  resume_instance(ctx: RequestContext, args: InstanceArgs): Promise<void>
  trigger_crash_dump(ctx: RequestContext, args: InstanceArgs): Promise<void>
  set_admin_password(ctx: RequestContext, args: SetAdminPasswordArgs): Promise<null>
  get_vnc_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo>
  get_spice_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo>
  get_rdp_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo>
  get_serial_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo>
  get_mks_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo>
}

/** The console methods, by the protocol each serves. */
export const CONSOLE_METHODS = {
  vnc: 'get_vnc_console',
  spice: 'get_spice_console',
  rdp: 'get_rdp_console',
  serial: 'get_serial_console',
  mks: 'get_mks_console',
} as const satisfies Record<ConsoleKind, keyof ComputeRpc>

/**
 * The compute RPC API's versions. tsnova's compute API starts at Nova's 6.0, and every form it
 * sent then is 6.0. A new form bumps `current`, names its version here, adds a line to `history`,
 * and a SERVICE_VERSION_HISTORY entry (src/service/versions.ts) so `auto` caps know who speaks it.
 */
export const COMPUTE_RPC_API = {
  name: 'compute',
  current: '6.2',
  methods: {
    build_and_run_instance: '6.0',
    terminate_instance: '6.0',
    get_console_output: '6.1',
    stop_instance: '6.2',
    start_instance: '6.2',
    reboot_instance: '6.2',
    pause_instance: '6.2',
    unpause_instance: '6.2',
    suspend_instance: '6.2',
    resume_instance: '6.2',
    trigger_crash_dump: '6.2',
    set_admin_password: '6.2',
    get_vnc_console: '6.2',
    get_spice_console: '6.2',
    get_rdp_console: '6.2',
    get_serial_console: '6.2',
    get_mks_console: '6.2',
  },
  history: [
    ['6.0', "Nova's compute RPC API 6.0: build_and_run_instance, terminate_instance, get_console_output"],
    ['6.1', 'get_console_output: tail_length is an integer (or null) only, and max_bytes is added'],
    [
      '6.2',
      "the single-host actions, in Nova's 6.0 forms: stop/start/reboot/pause/unpause/suspend/resume_instance, trigger_crash_dump, set_admin_password, get_{vnc,spice,rdp,serial,mks}_console",
    ],
  ],
} as const satisfies RpcApiVersions<keyof ComputeRpc>

export const COMPUTE_RPC_VERSION = COMPUTE_RPC_API.current

/**
 * Every compute call goes to one host's queue: `compute.<host>`. Under a cap, each method:
 * - build_and_run_instance, terminate_instance (6.0): no older form in major 6; a cap below 6.0
 *   fails fast with RpcVersionCapError.
 * - get_console_output (6.1): capped at 6.0, the 6.0 form is sent (no max_bytes) and the answer
 *   is cut to `maxBytes` here, so the caller gets the same text; only more of it crosses the bus.
 * - the single-host actions (6.2): a compute below 6.2 serves none of them, so a cap below 6.2
 *   fails fast (`supports` tells the API beforehand, so it refuses before changing anything).
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

  /** Whether the cap in force lets `method` go out in its current form. */
  async supports(method: keyof ComputeRpc): Promise<boolean> {
    return (await this.client.router()).canSendVersion(COMPUTE_RPC_API.methods[method])
  }

  stopInstance(ctx: RequestContext, instance: Instance, cleanShutdown = true): Promise<void> {
    const args: StopInstanceArgs = { instance, clean_shutdown: cleanShutdown }
    return this.client.cast(ctx, 'stop_instance', args, { server: instance.host! })
  }

  startInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'start_instance', instance)
  }

  rebootInstance(ctx: RequestContext, instance: Instance, kind: RebootKind): Promise<void> {
    const args: RebootInstanceArgs = { instance, block_device_info: null, reboot_type: kind }
    return this.client.cast(ctx, 'reboot_instance', args, { server: instance.host! })
  }

  pauseInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'pause_instance', instance)
  }

  unpauseInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'unpause_instance', instance)
  }

  suspendInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'suspend_instance', instance)
  }

  resumeInstance(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'resume_instance', instance)
  }

  triggerCrashDump(ctx: RequestContext, instance: Instance): Promise<void> {
    return this.castInstance(ctx, 'trigger_crash_dump', instance)
  }

  /** An RPC call: the API answers only once the guest's agent took the password (or refused). */
  async setAdminPassword(ctx: RequestContext, instance: Instance, password: string): Promise<void> {
    const args: SetAdminPasswordArgs = { instance, new_pass: password }
    await this.client.call(ctx, 'set_admin_password', args, { server: instance.host! })
  }

  /** An RPC call: the host checks the console is enabled and answers where it listens, with a token. */
  getConsole(
    ctx: RequestContext,
    instance: Instance,
    kind: ConsoleKind,
    consoleType: string | null,
  ): Promise<ConsoleConnectInfo> {
    const args: GetConsoleArgs = { instance, console_type: consoleType }
    return this.client.call(ctx, CONSOLE_METHODS[kind], args, { server: instance.host! })
  }

  private castInstance(ctx: RequestContext, method: keyof ComputeRpc, instance: Instance): Promise<void> {
    const args: InstanceArgs = { instance }
    return this.client.cast(ctx, method, args, { server: instance.host! })
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
