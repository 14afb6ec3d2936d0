/**
 * RPC versions for rolling upgrades: the version tables, what `[upgrade_levels]` makes of its
 * values, `auto`'s mapping from service versions, and which version (and form) each client stub
 * sends under a cap, or that it refuses to send at all.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Runtime } from '../../src/cmd/runtime.js'
import {
  COMPUTE_RPC_API,
  COMPUTE_RPC_VERSION,
  ComputeClient,
  lastBytesOfConsole,
  MAX_CONSOLE_OUTPUT_BYTES,
  tailLengthAsInteger,
} from '../../src/compute/rpcapi.js'
import {
  COMPUTE_TASK_RPC_API,
  CONDUCTOR_RPC_API,
  ComputeTaskClient,
  ConductorClient,
} from '../../src/conductor/rpcapi.js'
import { loadConfig } from '../../src/config/config.js'
import type { Instance, RequestSpec } from '../../src/objects/instance.js'
import { forgetHub, hubFor, InProcessTransport } from '../../src/rpc/in-process/in-process-transport.js'
import { Rpc } from '../../src/rpc/rpc.js'
import {
  canSendVersion,
  compareVersions,
  fixedVersionCap,
  type RpcApiVersions,
  RpcVersionCapError,
  upgradeLevelCap,
  type VersionCap,
  versionCompatible,
} from '../../src/rpc/version-cap.js'
import { SCHEDULER_RPC_API, SchedulerClient } from '../../src/scheduler/rpcapi.js'
import {
  AutoComputeVersionCap,
  autoComputeCap,
  SERVICE_VERSION,
  SERVICE_VERSION_HISTORY,
  type ServiceVersions,
} from '../../src/service/versions.js'
import { makeContext } from '../../src/shared/context.js'
import { createLogger } from '../../src/shared/logger.js'
import { RecordingTransport } from '../harness/recording-transport.js'

const log = createLogger({ name: 'rpc-versions-test' })
log.level = 'silent'
const ctx = makeContext()
const cap = (version: string | undefined): VersionCap => ({ version, origin: 'test cap' })
const capped = (version: string) => fixedVersionCap({ version, origin: `[upgrade_levels] test = ${version}` })

describe('version arithmetic (oslo)', () => {
  it('a server serves its major at its minor and below', () => {
    expect(versionCompatible('6.1', '6.0')).toBe(true)
    expect(versionCompatible('6.1', '6.1')).toBe(true)
    expect(versionCompatible('6.0', '6.1')).toBe(false)
    expect(versionCompatible('6.1', '5.0')).toBe(false)
    expect(versionCompatible('6', '6.0')).toBe(true)
  })

  it('can_send_version: anything uncapped, else what a server at the cap accepts', () => {
    expect(canSendVersion(cap(undefined), '99.9')).toBe(true)
    expect(canSendVersion(cap('6.0'), '6.0')).toBe(true)
    expect(canSendVersion(cap('6.0'), '6.1')).toBe(false)
    expect(canSendVersion(cap('6.2'), '6.1')).toBe(true)
    expect(canSendVersion(cap('5.13'), '6.0')).toBe(false)
  })

  it('orders versions numerically', () => {
    expect(compareVersions('6.10', '6.9')).toBeGreaterThan(0)
    expect(compareVersions('5.13', '6.0')).toBeLessThan(0)
    expect(compareVersions('4.5', '4.5')).toBe(0)
    expect(() => compareVersions('6', '6.0')).toThrow(/Not an RPC version/)
  })
})

describe('version tables', () => {
  const apis: RpcApiVersions[] = [COMPUTE_RPC_API, CONDUCTOR_RPC_API, COMPUTE_TASK_RPC_API, SCHEDULER_RPC_API]

  it.each(apis.map((api) => [api.name, api] as const))(
    '%s: every method form within the current major, at or below current; history ends at current',
    (_name, api) => {
      for (const version of Object.values<string>(api.methods)) {
        expect(versionCompatible(api.current, version)).toBe(true)
      }
      const versions = api.history.map(([v]) => v)
      expect(versions.at(-1)).toBe(api.current)
      for (let i = 1; i < versions.length; i++) {
        expect(compareVersions(versions[i]!, versions[i - 1]!)).toBeGreaterThan(0)
      }
    },
  )

  it('compute is at 6.2: get_console_output 6.1, the single-host actions 6.2, the rest 6.0', () => {
    expect(COMPUTE_RPC_VERSION).toBe('6.2')
    expect(COMPUTE_RPC_API.methods).toEqual({
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
    })
  })

  it('SERVICE_VERSION_HISTORY: one entry per version, the last one this release (as Nova tests it)', () => {
    const numbers = SERVICE_VERSION_HISTORY.map((e) => e.serviceVersion)
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i))
    const last = SERVICE_VERSION_HISTORY.at(-1)!
    expect(last.serviceVersion).toBe(SERVICE_VERSION)
    // A compute RPC bump without a service version bump would leave `auto` unable to see it.
    expect(last.computeRpc).toBe(COMPUTE_RPC_VERSION)
    expect(SERVICE_VERSION).toBe(66)
  })
})

describe('[upgrade_levels] values', () => {
  it('empty: no cap', async () => {
    expect((await upgradeLevelCap('compute', '').current()).version).toBeUndefined()
  })

  it('X.Y: that version, named by its option', async () => {
    expect(await upgradeLevelCap('compute', '6.0').current()).toEqual({
      version: '6.0',
      origin: '[upgrade_levels] compute = 6.0',
    })
    expect((await upgradeLevelCap('conductor', '3.0').current()).version).toBe('3.0')
  })

  it('auto for conductor and scheduler: no cap (the control plane is upgraded first)', async () => {
    for (const service of ['conductor', 'scheduler'] as const) {
      const c = await upgradeLevelCap(service, 'auto').current()
      expect(c.version).toBeUndefined()
      expect(c.origin).toContain('upgraded before the computes')
    }
  })

  it('auto for compute takes the database-backed source, and cannot do without one', async () => {
    const source = capped('6.0')
    expect(upgradeLevelCap('compute', 'auto', () => source)).toBe(source)
    expect(() => upgradeLevelCap('compute', 'auto')).toThrow(/needs the cell database/)
  })

  it('a runtime without a database (a compute host) honours conductor = X.Y', async () => {
    const config = loadConfig([], {
      upgrade_levels: { conductor: '3.0', compute: 'auto', scheduler: 'auto' },
    })
    const rt = new Runtime(config, log)
    expect((await rt.upgradeLevel('conductor').current()).version).toBe('3.0')
    expect((await rt.upgradeLevel('scheduler').current()).version).toBeUndefined()
    expect(() => rt.upgradeLevel('compute')).toThrow(/needs the cell database/)
  })
})

describe('auto: from the oldest nova-compute to a compute RPC cap', () => {
  it('maps service versions through the history', () => {
    expect(autoComputeCap(64).version).toBe('6.0')
    expect(autoComputeCap(65).version).toBe('6.1')
    expect(autoComputeCap(66).version).toBe('6.2')
    expect(autoComputeCap(64).origin).toBe(
      '[upgrade_levels] compute = auto: the oldest nova-compute is at service version 64',
    )
  })

  it('no compute yet: no cap', () => {
    expect(autoComputeCap(undefined).version).toBeUndefined()
  })

  it('computes newer than this release: no cap (they understand all it sends)', () => {
    expect(autoComputeCap(SERVICE_VERSION + 1).version).toBeUndefined()
  })

  it('a compute older than the history: the oldest version known, said in the origin', () => {
    const c = autoComputeCap(30)
    expect(c.version).toBe('6.0')
    expect(c.origin).toContain('older than any this release can talk to')
  })
})

/** A minimum service version a test moves, counting the reads. */
class ScriptedVersions implements ServiceVersions {
  reads = 0
  failNext = false
  constructor(public minimum: number | undefined) {}
  async minimumComputeVersion(): Promise<number | undefined> {
    this.reads++
    await new Promise((r) => setTimeout(r, 5))
    if (this.failNext) {
      this.failNext = false
      throw new Error('database away')
    }
    return this.minimum
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('AutoComputeVersionCap', () => {
  it('reads the database once for a burst of messages, not per message', async () => {
    const versions = new ScriptedVersions(64)
    const auto = new AutoComputeVersionCap(versions, log, 3600)
    const caps = await Promise.all(Array.from({ length: 50 }, () => auto.current()))
    expect(new Set(caps.map((c) => c.version))).toEqual(new Set(['6.0']))
    for (let i = 0; i < 50; i++) await auto.current()
    expect(versions.reads).toBe(1)
  })

  it('re-reads in the background once stale: messages go on with the cached cap meanwhile', async () => {
    const versions = new ScriptedVersions(64)
    const auto = new AutoComputeVersionCap(versions, log, 0.3)
    expect((await auto.current()).version).toBe('6.0')
    versions.minimum = 65 // the last old compute was upgraded
    expect((await auto.current()).version).toBe('6.0')
    await sleep(350)
    // Stale: this message still goes with 6.0, and starts the re-read.
    expect((await auto.current()).version).toBe('6.0')
    await vi.waitFor(async () => expect((await auto.current()).version).toBe('6.1'), { interval: 5 })
    expect(versions.reads).toBe(2)
  })

  it('no compute registered: not cached, so the first one is seen at once', async () => {
    const versions = new ScriptedVersions(undefined)
    const auto = new AutoComputeVersionCap(versions, log, 3600)
    expect((await auto.current()).version).toBeUndefined()
    versions.minimum = 64
    expect((await auto.current()).version).toBe('6.0')
    expect((await auto.current()).version).toBe('6.0')
    expect(versions.reads).toBe(2)
  })

  it('a failed re-read keeps the cap; a failed first read fails the message', async () => {
    const versions = new ScriptedVersions(64)
    versions.failNext = true
    const auto = new AutoComputeVersionCap(versions, log, 0.02)
    await expect(auto.current()).rejects.toThrow('database away')
    expect((await auto.current()).version).toBe('6.0')
    versions.failNext = true
    await sleep(30)
    expect((await auto.current()).version).toBe('6.0')
    await sleep(10)
    expect((await auto.current()).version).toBe('6.0')
  })
})

describe('console output helpers', () => {
  it('tail_length as Nova reads it (int(), else 0)', () => {
    expect(tailLengthAsInteger(3)).toBe(3)
    expect(tailLengthAsInteger('2')).toBe(2)
    expect(tailLengthAsInteger(' -1 ')).toBe(-1)
    expect(tailLengthAsInteger('x')).toBe(0)
  })

  it('keeps the last max_bytes', () => {
    expect(lastBytesOfConsole('abcdef', 3)).toBe('def')
    expect(lastBytesOfConsole('abc', 10)).toBe('abc')
    expect(lastBytesOfConsole('abc', 0)).toBe('')
  })
})

/** One process's RPC on a fresh in-process bus, every message recorded. */
function bus() {
  const url = `memory://rpc-versions-${randomBytes(4).toString('hex')}`
  const transport = new RecordingTransport(new InProcessTransport(hubFor(url), log))
  const rpc = new Rpc(transport, log, 5)
  return { url, transport, rpc }
}

const instance = { uuid: 'a7c6f0b1-3f0e-4a34-8a43-5a3c1d1e6f01', host: 'h1' } as Instance

/** A compute host that answers get_console_output with a known log, whatever the form. */
class ConsoleProbe {
  async get_console_output(): Promise<string> {
    return 'line one\nline two\nline three\n'
  }
}

describe('what the client stubs send under a cap', () => {
  const opened: { url: string; rpc: Rpc }[] = []
  afterEach(async () => {
    for (const { url, rpc } of opened.splice(0)) {
      await rpc.close()
      forgetHub(url)
    }
  })
  function open() {
    const b = bus()
    opened.push(b)
    return b
  }

  it('uncapped: get_console_output in its 6.1 form (integer tail_length, max_bytes)', async () => {
    const { rpc, transport } = open()
    await rpc.serve({ topic: 'compute', server: 'h1' }, [{ version: '6.1', endpoint: new ConsoleProbe() }])
    await new ComputeClient(rpc).getConsoleOutput(ctx, instance, '2')
    const [msg] = transport.sentFor('get_console_output')
    expect(msg!.version).toBe('6.1')
    expect(msg!.args).toMatchObject({ tail_length: 2, max_bytes: MAX_CONSOLE_OUTPUT_BYTES })
  })

  it('capped at 6.0: the 6.0 form, and the answer cut to max_bytes here', async () => {
    const { rpc, transport } = open()
    await rpc.serve({ topic: 'compute', server: 'h1' }, [{ version: '6.1', endpoint: new ConsoleProbe() }])
    const output = await new ComputeClient(rpc, capped('6.0')).getConsoleOutput(ctx, instance, null, 11)
    expect(output).toBe('line three\n')
    const [msg] = transport.sentFor('get_console_output')
    expect(msg!.version).toBe('6.0')
    expect(msg!.args).not.toHaveProperty('max_bytes')
    expect(msg!.args).toMatchObject({ tail_length: null })
  })

  it('methods go out with the version of their form, not the API current one', async () => {
    const { rpc, transport } = open()
    const compute = new ComputeClient(rpc)
    await compute.terminateInstance(ctx, instance)
    expect(transport.sentFor('terminate_instance')[0]!.version).toBe('6.0')
    await new ComputeTaskClient(rpc).buildInstances(ctx, {
      instance,
      request_spec: {} as RequestSpec,
      host_list: [],
      num_attempts: 1,
      reason: 'r',
    })
    const [task] = transport.sentFor('build_instances')
    expect(task).toMatchObject({ version: '1.24', namespace: 'compute_task' })
  })

  it('a cap below a form with no older one fails fast, naming method, needed version and cap; nothing is sent', async () => {
    const { rpc, transport } = open()
    const compute = new ComputeClient(rpc, capped('5.13'))
    const err = await compute.terminateInstance(ctx, instance).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RpcVersionCapError)
    expect((err as Error).message).toBe(
      'Cannot send terminate_instance to compute: it needs RPC version 6.0, above the version cap 5.13 ([upgrade_levels] test = 5.13); upgrade the compute services first, or raise the cap',
    )
    await expect(compute.getConsoleOutput(ctx, instance, null)).rejects.toThrow(
      /get_console_output to compute: it needs RPC version 6.0, above the version cap 5.13/,
    )
    const scheduler = new SchedulerClient(rpc, 5, capped('4.4'))
    await expect(scheduler.selectDestinations(ctx, {} as RequestSpec, ['u'])).rejects.toThrow(
      /Cannot send select_destinations to scheduler: it needs RPC version 4.5, above the version cap 4.4/,
    )
    const conductor = new ConductorClient(rpc, capped('2.9'))
    await expect(conductor.serviceReportState(ctx, 1)).rejects.toThrow(
      /Cannot send service_report_state to conductor: it needs RPC version 3.0/,
    )
    expect(transport.sent).toEqual([])
  })

  it('the single-host actions go out at 6.2; a cap below says so beforehand (supports) and refuses to send', async () => {
    const { rpc, transport } = open()
    const uncapped = new ComputeClient(rpc)
    expect(await uncapped.supports('stop_instance')).toBe(true)
    await uncapped.stopInstance(ctx, instance)
    await uncapped.rebootInstance(ctx, instance, 'HARD')
    expect(transport.sentFor('stop_instance')[0]).toMatchObject({
      version: '6.2',
      args: { clean_shutdown: true },
    })
    expect(transport.sentFor('reboot_instance')[0]).toMatchObject({
      version: '6.2',
      args: { reboot_type: 'HARD', block_device_info: null },
    })
    const old = new ComputeClient(rpc, capped('6.1'))
    expect(await old.supports('stop_instance')).toBe(false)
    expect(await old.supports('get_console_output')).toBe(true)
    await expect(old.pauseInstance(ctx, instance)).rejects.toThrow(
      /Cannot send pause_instance to compute: it needs RPC version 6.2, above the version cap 6.1/,
    )
    expect(transport.sentFor('pause_instance')).toEqual([])
  })

  it('a cap at or above every form changes nothing', async () => {
    const { rpc, transport } = open()
    await rpc.serve({ topic: 'compute', server: 'h1' }, [{ version: '6.1', endpoint: new ConsoleProbe() }])
    await new ComputeClient(rpc, capped('6.1')).getConsoleOutput(ctx, instance, 1)
    await new ComputeClient(rpc, capped('6.7')).getConsoleOutput(ctx, instance, 1)
    expect(transport.sentFor('get_console_output').map((m) => m.version)).toEqual(['6.1', '6.1'])
  })

  it('the cap is read per message from its source (auto moves it without a new client)', async () => {
    const { rpc, transport } = open()
    await rpc.serve({ topic: 'compute', server: 'h1' }, [{ version: '6.1', endpoint: new ConsoleProbe() }])
    let current: VersionCap = { version: '6.0', origin: 'moving' }
    const compute = new ComputeClient(rpc, { current: async () => current })
    await compute.getConsoleOutput(ctx, instance, null)
    current = { version: '6.1', origin: 'moving' }
    await compute.getConsoleOutput(ctx, instance, null)
    expect(transport.sentFor('get_console_output').map((m) => m.version)).toEqual(['6.0', '6.1'])
  })
})
