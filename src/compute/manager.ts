import type { ComputeTaskClient, ConductorClient } from '../conductor/rpcapi.js'
import type { ConsoleConnectInfo } from '../objects/console.js'
import type { Instance } from '../objects/instance.js'
import { TaskState, VmState } from '../objects/states.js'
import { DELIVERY_RETRY, type RetryPolicy } from '../rpc/retry.js'
import type { RequestContext } from '../shared/context.js'
import { adminContext } from '../shared/context.js'
import type { Logger } from '../shared/logger.js'
import type { VirtDriver } from '../virt/driver.js'
import { BuildSlots } from './build-slots.js'
import { BuildInstance, type BuildOutcomes } from './operations/build.js'
import { ConsoleOutput } from './operations/console-output.js'
import { InstanceTask } from './operations/instance-task.js'
import { InterruptedActions } from './operations/interrupted-actions.js'
import { PauseInstance } from './operations/pause.js'
import { PowerStateSync } from './operations/power-sync.js'
import { RebootInstance } from './operations/reboot.js'
import { type ConsoleSettings, DEFAULT_CONSOLE_SETTINGS, RemoteConsole } from './operations/remote-console.js'
import { ResumeInstance } from './operations/resume.js'
import { SetAdminPassword } from './operations/set-admin-password.js'
import { StartInstance } from './operations/start.js'
import { StopInstance } from './operations/stop.js'
import { SuspendInstance } from './operations/suspend.js'
import { TerminateInstance } from './operations/terminate.js'
import { TriggerCrashDump } from './operations/trigger-crash-dump.js'
import { UnpauseInstance } from './operations/unpause.js'
import { ConductorReports } from './reports.js'
import type {
  BuildAndRunInstanceArgs,
  ComputeRpc,
  GetConsoleArgs,
  GetConsoleOutputArgs,
  InstanceArgs,
  RebootInstanceArgs,
  SetAdminPasswordArgs,
  StopInstanceArgs,
} from './rpcapi.js'

export interface ComputeOptions {
  readonly host: string
  /** `[DEFAULT] my_ip`: reported as the node's host_ip (SimpleCIDRAffinityFilter, os-hypervisors). */
  readonly hostIp: string
  readonly maxConcurrentBuilds: number
  readonly allocationRatios: { cpu: number; ram: number; disk: number }
  readonly reserved: { vcpus: number; memoryMb: number; diskGb: number }
  /** `[DEFAULT] shutdown_timeout` (Nova's default 60 s). */
  readonly shutdownTimeoutS?: number
  /** `[vnc]`, `[spice]`, `[rdp]`, `[serial_console]`, `[mks]` (Nova's defaults: VNC only). */
  readonly consoles?: ConsoleSettings
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
  private readonly stop: StopInstance
  private readonly start: StartInstance
  private readonly reboot: RebootInstance
  private readonly pause: PauseInstance
  private readonly unpause: UnpauseInstance
  private readonly suspend: SuspendInstance
  private readonly resume: ResumeInstance
  private readonly crashDump: TriggerCrashDump
  private readonly adminPassword: SetAdminPassword
  private readonly remoteConsole: RemoteConsole
  private readonly interrupted: InterruptedActions
  private readonly powerSync: PowerStateSync

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
    const task = new InstanceTask(driver, reports, log)
    this.stop = new StopInstance(task, options.shutdownTimeoutS ?? 60)
    this.start = new StartInstance(task)
    this.reboot = new RebootInstance(task)
    this.pause = new PauseInstance(task)
    this.unpause = new UnpauseInstance(task)
    this.suspend = new SuspendInstance(task)
    this.resume = new ResumeInstance(task)
    this.crashDump = new TriggerCrashDump(task)
    this.adminPassword = new SetAdminPassword(task)
    this.remoteConsole = new RemoteConsole(driver, options.consoles ?? DEFAULT_CONSOLE_SETTINGS, log)
    this.interrupted = new InterruptedActions(task, {
      stop: (ctx, instance) => this.stop.run(ctx, { instance, clean_shutdown: true }),
      start: (ctx, instance) => this.start.run(ctx, { instance }),
      reboot: (ctx, instance, kind) =>
        this.reboot.run(ctx, { instance, block_device_info: null, reboot_type: kind }),
      pause: (ctx, instance) => this.pause.run(ctx, { instance }),
      unpause: (ctx, instance) => this.unpause.run(ctx, { instance }),
      suspend: (ctx, instance) => this.suspend.run(ctx, { instance }),
      resume: (ctx, instance) => this.resume.run(ctx, { instance }),
    })
    this.powerSync = new PowerStateSync(task, conductor, this.stop, options.host, log)
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

  stop_instance(ctx: RequestContext, args: StopInstanceArgs): Promise<void> {
    return this.stop.run(ctx, args)
  }

  start_instance(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.start.run(ctx, args)
  }

  reboot_instance(ctx: RequestContext, args: RebootInstanceArgs): Promise<void> {
    return this.reboot.run(ctx, args)
  }

  pause_instance(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.pause.run(ctx, args)
  }

  unpause_instance(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.unpause.run(ctx, args)
  }

  suspend_instance(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.suspend.run(ctx, args)
  }

  resume_instance(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.resume.run(ctx, args)
  }

  trigger_crash_dump(ctx: RequestContext, args: InstanceArgs): Promise<void> {
    return this.crashDump.run(ctx, args)
  }

  set_admin_password(ctx: RequestContext, args: SetAdminPasswordArgs): Promise<null> {
    return this.adminPassword.run(ctx, args)
  }

  get_vnc_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    return this.remoteConsole.run(ctx, 'vnc', args)
  }

  get_spice_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    return this.remoteConsole.run(ctx, 'spice', args)
  }

  get_rdp_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    return this.remoteConsole.run(ctx, 'rdp', args)
  }

  get_serial_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    return this.remoteConsole.run(ctx, 'serial', args)
  }

  get_mks_console(ctx: RequestContext, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    return this.remoteConsole.run(ctx, 'mks', args)
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

  /** Nova's `_sync_power_states` periodic task (see PowerStateSync). */
  async syncPowerStates(): Promise<void> {
    await this.powerSync.run(adminContext())
  }

  /**
   * On start: builds this host had in flight when it died can never finish (say so); deletes
   * and other actions it had in flight are finished.
   */
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
      } else if (this.interrupted.handles(inst)) {
        await this.interrupted
          .recover(ctx, inst)
          .catch((err: Error) =>
            this.log.warn(
              { err: err.message, instance_uuid: inst.uuid },
              'could not finish an interrupted action',
            ),
          )
      }
    }
  }
}
