import type { Instance } from '../../objects/instance.js'
import { PowerState } from '../../objects/states.js'
import type { GuestInfo, HostResources, VirtDriver } from '../driver.js'

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
}

/** Nova's FakeDriver: guests live in memory, so thousands of hosts fit in one process. */
export class FakeDriver implements VirtDriver {
  readonly type = 'fake'
  private readonly guests = new Map<string, FakeGuest>()
  private host = ''

  constructor(private readonly options: FakeDriverOptions) {}

  async init(host: string): Promise<void> {
    this.host = host
  }

  async spawn(instance: Instance): Promise<void> {
    if (this.options.spawnDelayS > 0) await new Promise((r) => setTimeout(r, this.options.spawnDelayS * 1000))
    if (this.options.failBuild) throw new Error(`Fake host ${this.host} is configured to fail builds`)
    this.guests.set(instance.uuid, { instance, powerState: PowerState.RUNNING })
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

  async cleanupHost(): Promise<void> {
    this.guests.clear()
  }
}
