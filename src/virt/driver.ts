import type { ComputeNodeReport } from '../objects/compute-node.js'
import type { ConsoleKind } from '../objects/console.js'
import type { Instance } from '../objects/instance.js'
import type { RebootKind } from '../objects/states.js'

export type { ConsoleKind, RebootKind }

/** What a hypervisor host offers, as reported to the scheduler (the driver's part of the report). */
export type HostResources = Pick<
  ComputeNodeReport,
  | 'hypervisor_hostname'
  | 'hypervisor_type'
  | 'hypervisor_version'
  | 'cpu_info'
  | 'vcpus'
  | 'memory_mb'
  | 'local_gb'
  | 'vcpus_used'
  | 'memory_mb_used'
  | 'local_gb_used'
>

export interface GuestInfo {
  readonly power_state: number
}

export interface PowerOffOptions {
  /** Seconds to wait for a clean shutdown before forcing the guest off; 0 forces it at once. */
  readonly timeoutS: number
  /** Seconds between the shutdown requests sent while waiting. */
  readonly retryIntervalS: number
}

/** Where a guest's console listens (Nova's `console.type.Console*`), before a proxy token is added. */
export interface ConsoleEndpoint {
  readonly host: string
  readonly port: number
  readonly internalAccessPath: string | null
}

/**
 * The hypervisor behind a compute host. Compute calls only this; a driver never reaches back
 * into the database or RPC. Every guest operation rejects with InstanceNotFound for a guest the
 * hypervisor does not know. The optional operations are those Nova's base driver leaves
 * unimplemented: compute answers a driver without one as Nova answers NotImplementedError.
 */
export interface VirtDriver {
  readonly type: string
  /** The console kinds this driver can hand out (whether the host does is its config's say). */
  readonly consoleKinds: ReadonlySet<ConsoleKind>
  init(host: string): Promise<void>
  /** Create and start the guest. Rejects if it cannot; the manager decides what that means. */
  spawn(instance: Instance): Promise<void>
  /** Remove the guest and its disks. Succeeds if the guest is already gone. */
  destroy(instance: Instance): Promise<void>
  /** The guest's state, or undefined if the hypervisor does not know it. */
  getInfo(instance: Instance): Promise<GuestInfo | undefined>
  /** Names (uuids) of every guest the hypervisor runs. */
  listInstances(): Promise<string[]>
  /** Shut the guest down; a guest already off stays off. */
  powerOff(instance: Instance, options: PowerOffOptions): Promise<void>
  /** Start a guest that is off; a running one keeps running. */
  powerOn(instance: Instance): Promise<void>
  reboot(instance: Instance, kind: RebootKind): Promise<void>
  pause(instance: Instance): Promise<void>
  unpause(instance: Instance): Promise<void>
  /** Save the guest's memory and stop it, to be resumed where it was. */
  suspend(instance: Instance): Promise<void>
  resume(instance: Instance): Promise<void>
  /** Set the guest's admin password through its agent. */
  setAdminPassword?(instance: Instance, password: string): Promise<void>
  /** Inject an NMI, so the guest's kernel dumps its memory. */
  triggerCrashDump?(instance: Instance): Promise<void>
  /** Where the guest's console of one of `consoleKinds` listens. */
  getConsole?(instance: Instance, kind: ConsoleKind): Promise<ConsoleEndpoint>
  getConsoleOutput(instance: Instance): Promise<string>
  getAvailableResource(): Promise<HostResources>
  cleanupHost(): Promise<void>
}
