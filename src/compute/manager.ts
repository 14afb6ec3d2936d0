import type { ComputeTaskClient, ConductorClient } from '../conductor/rpcapi.js'
import type { Instance } from '../objects/instance.js'
import { PowerState, TaskState, VmState } from '../objects/states.js'
import { DELIVERY_RETRY, type RetryPolicy } from '../rpc/retry.js'
import type { RequestContext } from '../shared/context.js'
import { adminContext } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import type { VirtDriver } from '../virt/driver.js'
import { BuildSlots } from './build-slots.js'
import { BuildInstance, type BuildOutcomes } from './operations/build.js'
import { ConsoleOutput } from './operations/console-output.js'
import { TerminateInstance } from './operations/terminate.js'
import { ConductorReports } from './reports.js'
import type { BuildAndRunInstanceArgs, ComputeRpc, GetConsoleOutputArgs } from './rpcapi.js'

export interface ComputeOptions {
  readonly host: string
  /** `[DEFAULT] my_ip`: reported as the node's host_ip (SimpleCIDRAffinityFilter, os-hypervisors). */
  readonly hostIp: string
  readonly maxConcurrentBuilds: number
  readonly allocationRatios: { cpu: number; ram: number; disk: number }
  readonly reserved: { vcpus: number; memoryMb: number; diskGb: number }
}

/**
 * One compute host: its RPC endpoints (each operation in `operations/`, as Nova's manager
 * methods), and its periodic tasks. It drives its hypervisor and reports every state change to
 * the conductor; it never opens the database.
 */
export class ComputeManager implements ComputeRpc, BuildOutcomes {
  /** Consecutive failed builds (Nova's failed_builds stat, for BuildFailureWeigher); a success resets it. */
  private failedBuilds = 0
  private serviceId: number | undefined
  private readonly build: BuildInstance
  private readonly terminate: TerminateInstance
  private readonly console: ConsoleOutput

  constructor(
    private readonly driver: VirtDriver,
    private readonly conductor: ConductorClient,
    computeTask: ComputeTaskClient,
    private readonly options: ComputeOptions,
    private readonly log: Logger,
    /** How long state reports to the conductor are retried while the message bus is away. */
    deliveryRetry: RetryPolicy = DELIVERY_RETRY,
  ) {
    const reports = new ConductorReports(conductor, options.host, deliveryRetry)
    const slots = new BuildSlots(options.maxConcurrentBuilds)
    this.build = new BuildInstance(driver, reports, computeTask, slots, this, log)
    this.terminate = new TerminateInstance(driver, reports, log)
    this.console = new ConsoleOutput(driver, log)
  }

  build_and_run_instance(ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
    return this.build.run(ctx, args)
  }

  terminate_instance(ctx: RequestContext, args: { instance: Instance }): Promise<void> {
    return this.terminate.run(ctx, args)
  }

  get_console_output(ctx: RequestContext, args: GetConsoleOutputArgs): Promise<string> {
    return this.console.run(ctx, args)
  }

  async buildFailed(): Promise<void> {
    this.failedBuilds++
    if (this.serviceId !== undefined) await this.updateAvailableResource(this.serviceId)
  }

  buildSucceeded(): void {
    this.failedBuilds = 0
  }

  /** Report this host's resources (Nova's `update_available_resource` periodic task). */
  async updateAvailableResource(serviceId: number): Promise<void> {
    this.serviceId = serviceId
    const r = await this.driver.getAvailableResource()
    const instances = await this.driver.listInstances()
    await this.conductor.computeNodeUpdate(adminContext(), serviceId, {
      host: this.options.host,
      hypervisor_hostname: r.hypervisor_hostname,
      hypervisor_type: r.hypervisor_type,
      hypervisor_version: r.hypervisor_version,
      cpu_info: r.cpu_info,
      host_ip: this.options.hostIp,
      vcpus: r.vcpus,
      memory_mb: r.memory_mb,
      local_gb: r.local_gb,
      vcpus_used: r.vcpus_used,
      memory_mb_used: r.memory_mb_used + this.options.reserved.memoryMb,
      local_gb_used: r.local_gb_used + this.options.reserved.diskGb,
      running_vms: instances.length,
      cpu_allocation_ratio: this.options.allocationRatios.cpu,
      ram_allocation_ratio: this.options.allocationRatios.ram,
      disk_allocation_ratio: this.options.allocationRatios.disk,
      reserved_vcpus: this.options.reserved.vcpus,
      reserved_memory_mb: this.options.reserved.memoryMb,
      reserved_disk_gb: this.options.reserved.diskGb,
      failed_builds: this.failedBuilds,
    })
  }

  /**
   * Nova's `_sync_power_states`: the hypervisor is the truth about power. A guest that stopped
   * (or vanished) while its server is ACTIVE makes the server SHUTOFF, as Nova's stop call would.
   */
  async syncPowerStates(): Promise<void> {
    const ctx = adminContext()
    const instances = await this.conductor.instanceGetAllByHost(ctx, this.options.host)
    for (const inst of instances) {
      // Something is in flight for it; the next pass will look again.
      if (inst.task_state !== null) continue
      const info = await this.driver.getInfo(inst)
      const power = info?.power_state ?? PowerState.NOSTATE
      if (power === inst.power_state) continue
      const stopped =
        inst.vm_state === VmState.ACTIVE && (power === PowerState.SHUTDOWN || power === PowerState.NOSTATE)
      if (stopped)
        this.log.warn({ instance_uuid: inst.uuid, power }, 'Instance shutdown by itself. Stopping it.')
      await this.conductor
        .instanceUpdate(ctx, {
          instance_uuid: inst.uuid,
          updates: stopped ? { power_state: power, vm_state: VmState.STOPPED } : { power_state: power },
          expected_task_state: [null],
        })
        .catch((err: Error) =>
          this.log.info({ err: err.message, instance_uuid: inst.uuid }, 'power state sync skipped'),
        )
    }
  }

  /** On start: builds this host had in flight when it died can never finish; say so. */
  async initHost(): Promise<void> {
    const ctx = adminContext()
    const instances = await this.conductor.instanceGetAllByHost(ctx, this.options.host)
    const guests = new Set(await this.driver.listInstances())
    for (const inst of instances) {
      if (inst.vm_state === VmState.BUILDING && !guests.has(inst.uuid)) {
        await this.conductor.instanceFaultCreate(ctx, {
          instance_uuid: inst.uuid,
          code: 500,
          message: 'Instance was building when its compute service restarted.',
          details: null,
          host: this.options.host,
        })
        await this.conductor
          .instanceUpdate(ctx, {
            instance_uuid: inst.uuid,
            updates: { vm_state: VmState.ERROR, task_state: null },
            expected_task_state: [inst.task_state],
          })
          .catch(() => undefined)
      } else if (inst.task_state === TaskState.DELETING) {
        await this.terminate.run(ctx, { instance: inst })
      }
    }
  }
}
