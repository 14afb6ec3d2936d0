import type { ComputeNodeReport } from '../objects/compute-node.js'
import type { Instance } from '../objects/instance.js'

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

/**
 * The hypervisor behind a compute host. Compute calls only this; a driver never reaches back
 * into the database or RPC.
 */
export interface VirtDriver {
  readonly type: string
  init(host: string): Promise<void>
  /** Create and start the guest. Rejects if it cannot; the manager decides what that means. */
  spawn(instance: Instance): Promise<void>
  /** Remove the guest and its disks. Succeeds if the guest is already gone. */
  destroy(instance: Instance): Promise<void>
  /** The guest's state, or undefined if the hypervisor does not know it. */
  getInfo(instance: Instance): Promise<GuestInfo | undefined>
  /** Names (uuids) of every guest the hypervisor runs. */
  listInstances(): Promise<string[]>
  getConsoleOutput(instance: Instance): Promise<string>
  getAvailableResource(): Promise<HostResources>
  cleanupHost(): Promise<void>
}
