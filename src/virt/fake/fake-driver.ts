import type { Instance } from '../../objects/instance.js'
import { PowerState } from '../../objects/states.js'
import { InstanceNotFound, InstanceNotRunning } from '../../shared/errors.js'
import type {
  ConsoleEndpoint,
  ConsoleKind,
  GuestInfo,
  HostResources,
  PowerOffOptions,
  RebootKind,
  VirtDriver,
} from '../driver.js'

export interface FakeDriverOptions {
  readonly vcpus: number
  readonly memory_mb: number
  readonly local_gb: number
  /** Seconds each spawn takes (0: instant). */
  readonly spawnDelayS: number
  /** Fail every spawn: a broken host, for reschedule tests. */
  readonly failBuild: boolean
}

interface FakeGuest {
  readonly instance: Instance
  powerState: number
  /** The last password set through the (pretend) guest agent. */
  adminPassword?: string
  crashDumps: number
}

/** The guest operations a test may make fail once (`failNext`). */
export type FakeOperation =
  | 'powerOff'
  | 'powerOn'
  | 'reboot'
  | 'pause'
  | 'unpause'
  | 'suspend'
  | 'resume'
  | 'setAdminPassword'
  | 'triggerCrashDump'

/**
 * Nova's FakeDriver: guests live in memory, so thousands of hosts fit in one process. Each guest
 * keeps its power state, moved by the operations as a hypervisor would move it, so compute's
 * reports and its power-state sync see what a real host would show.
 */
export class FakeDriver implements VirtDriver {
  readonly type = 'fake'
  /** Like libvirt's: no RDP (Nova's RDP consoles were Hyper-V's). */
  readonly consoleKinds: ReadonlySet<ConsoleKind> = new Set<ConsoleKind>(['vnc', 'spice', 'serial', 'mks'])
  private readonly guests = new Map<string, FakeGuest>()
  private readonly failures = new Map<FakeOperation, Error>()
  private host = ''

  constructor(private readonly options: FakeDriverOptions) {}

  async init(host: string): Promise<void> {
    this.host = host
  }

  async spawn(instance: Instance): Promise<void> {
    if (this.options.spawnDelayS > 0) await new Promise((r) => setTimeout(r, this.options.spawnDelayS * 1000))
    if (this.options.failBuild) throw new Error(`Fake host ${this.host} is configured to fail builds`)
    this.guests.set(instance.uuid, { instance, powerState: PowerState.RUNNING, crashDumps: 0 })
  }

  async destroy(instance: Instance): Promise<void> {
    this.guests.delete(instance.uuid)
  }

  async getInfo(instance: Instance): Promise<GuestInfo | undefined> {
    const guest = this.guests.get(instance.uuid)
    return guest ? { power_state: guest.powerState } : undefined
  }

  async listInstances(): Promise<string[]> {
    return [...this.guests.keys()]
  }

  async powerOff(instance: Instance, _options: PowerOffOptions): Promise<void> {
    this.guest('powerOff', instance).powerState = PowerState.SHUTDOWN
  }

  async powerOn(instance: Instance): Promise<void> {
    this.guest('powerOn', instance).powerState = PowerState.RUNNING
  }

  async reboot(instance: Instance, _kind: RebootKind): Promise<void> {
    // As libvirt's: a soft reboot that cannot be done cleanly becomes a hard one; either ends running.
    this.guest('reboot', instance).powerState = PowerState.RUNNING
  }

  async pause(instance: Instance): Promise<void> {
    this.running('pause', instance).powerState = PowerState.PAUSED
  }

  async unpause(instance: Instance): Promise<void> {
    const guest = this.guest('unpause', instance)
    if (guest.powerState !== PowerState.PAUSED) throw new Error(`Fake guest ${instance.uuid} is not paused`)
    guest.powerState = PowerState.RUNNING
  }

  async suspend(instance: Instance): Promise<void> {
    this.running('suspend', instance).powerState = PowerState.SUSPENDED
  }

  async resume(instance: Instance): Promise<void> {
    this.guest('resume', instance).powerState = PowerState.RUNNING
  }

  async setAdminPassword(instance: Instance, password: string): Promise<void> {
    this.running('setAdminPassword', instance).adminPassword = password
  }

  async triggerCrashDump(instance: Instance): Promise<void> {
    // An NMI reaches a paused guest too (libvirt takes any active domain).
    const guest = this.guest('triggerCrashDump', instance)
    if (guest.powerState !== PowerState.RUNNING && guest.powerState !== PowerState.PAUSED) {
      throw new InstanceNotRunning(instance.uuid)
    }
    guest.crashDumps++
  }

  async getConsole(instance: Instance, kind: ConsoleKind): Promise<ConsoleEndpoint> {
    this.known(instance)
    // Nova's FakeDriver answers with these.
    return { host: `fake${kind}console.com`, port: 6969, internalAccessPath: kind === 'vnc' ? 'FAKE' : null }
  }

  async getConsoleOutput(instance: Instance): Promise<string> {
    return `FAKE CONSOLE OUTPUT of ${instance.uuid}\nANOTHER\nLAST LINE\n`
  }

  async getAvailableResource(): Promise<HostResources> {
    let vcpus = 0
    let memory = 0
    let disk = 0
    for (const { instance } of this.guests.values()) {
      vcpus += instance.flavor.vcpus
      memory += instance.flavor.memory_mb
      disk += instance.flavor.root_gb + instance.flavor.ephemeral_gb
    }
    return {
      hypervisor_hostname: this.host,
      hypervisor_type: 'fake',
      hypervisor_version: 1000,
      cpu_info:
        '{"arch": "x86_64", "model": "fake", "vendor": "fake", "topology": {"sockets": 1, "cores": 1, "threads": 1}}',
      vcpus: this.options.vcpus,
      memory_mb: this.options.memory_mb,
      local_gb: this.options.local_gb,
      vcpus_used: vcpus,
      memory_mb_used: memory,
      local_gb_used: disk,
    }
  }

  /** Change a guest's power state behind compute's back, as a guest shutting itself down would. */
  simulatePowerState(instanceUuid: string, powerState: number): void {
    const guest = this.guests.get(instanceUuid)
    if (guest) guest.powerState = powerState
  }

  /** Make the next call of `operation` fail with `error`, as a broken hypervisor would. */
  failNext(operation: FakeOperation, error: Error = new Error(`Fake ${operation} failed`)): void {
    this.failures.set(operation, error)
  }

  /** What the guest's agent was last told (undefined: no password set, or no such guest). */
  adminPasswordOf(instanceUuid: string): string | undefined {
    return this.guests.get(instanceUuid)?.adminPassword
  }

  /** How many crash dumps the guest was asked for. */
  crashDumpsOf(instanceUuid: string): number {
    return this.guests.get(instanceUuid)?.crashDumps ?? 0
  }

  async cleanupHost(): Promise<void> {
    this.guests.clear()
  }

  private known(instance: Instance): FakeGuest {
    const guest = this.guests.get(instance.uuid)
    if (!guest) throw new InstanceNotFound(instance.uuid)
    return guest
  }

  /** The guest an operation works on, after the failure a test asked for, if any. */
  private guest(operation: FakeOperation, instance: Instance): FakeGuest {
    const failure = this.failures.get(operation)
    if (failure) {
      this.failures.delete(operation)
      throw failure
    }
    return this.known(instance)
  }

  /** As `guest`, for operations a hypervisor only does to a running guest. */
  private running(operation: FakeOperation, instance: Instance): FakeGuest {
    const guest = this.guest(operation, instance)
    if (guest.powerState !== PowerState.RUNNING) throw new InstanceNotRunning(instance.uuid)
    return guest
  }
}
