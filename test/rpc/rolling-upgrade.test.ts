/**
 * Old and new services side by side, on the in-process bus and over RabbitMQ: a client capped at
 * an older version works against a newer compute, and a newer client against an older compute
 * gets a clear UnsupportedVersion (a call's caller as a typed error, a cast in the server's log).
 */
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { ComputeManager } from '../../src/compute/manager.js'
import { COMPUTE_RPC_VERSION, COMPUTE_TOPIC, ComputeClient } from '../../src/compute/rpcapi.js'
import { ComputeTaskClient, ConductorClient } from '../../src/conductor/rpcapi.js'
import type { Instance } from '../../src/objects/instance.js'
import { AmqpTransport } from '../../src/rpc/amqp/amqp-transport.js'
import { forgetHub, hubFor, InProcessTransport } from '../../src/rpc/in-process/in-process-transport.js'
import { Rpc } from '../../src/rpc/rpc.js'
import type { Subscription, Transport } from '../../src/rpc/transport.js'
import { fixedVersionCap } from '../../src/rpc/version-cap.js'
import { makeContext } from '../../src/shared/context.js'
import { UnsupportedVersion } from '../../src/shared/errors.js'
import { createLogger, type Logger } from '../../src/shared/logger.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import { describeNeeding, type ServiceName, serviceReachable } from '../harness/matrix.js'
import { createVhost, listQueues, type TestVhost } from '../harness/rabbit.js'
import { RecordingTransport } from '../harness/recording-transport.js'

const log = createLogger({ name: 'rolling-upgrade-test' })
if (!process.env.TSNOVA_LOG_LEVEL) log.level = 'silent'

const haveRabbit = serviceReachable('rabbitmq')

const hex = (): string => randomBytes(4).toString('hex')
const ctx = makeContext()
const capAt = (version: string) =>
  fixedVersionCap({ version, origin: `[upgrade_levels] compute = ${version}` })

interface Bus {
  readonly name: string
  readonly needs: readonly ServiceName[]
  transport(logger: Logger): Transport
  queueDepth(queue: string): Promise<number>
}

const memoryUrl = `memory://rolling-upgrade-${hex()}`
let vhost: TestVhost | undefined
const buses: Bus[] = [
  {
    name: 'in-process',
    needs: [],
    transport: (logger) => new InProcessTransport(hubFor(memoryUrl), logger),
    queueDepth: async (queue) => hubFor(memoryUrl).queues.get(queue)?.backlog.length ?? 0,
  },
  {
    name: 'amqp',
    needs: ['rabbitmq'],
    transport: (logger) => new AmqpTransport(vhost!.url, { controlExchange: 'nova', log: logger }),
    queueDepth: async (queue) =>
      (await listQueues(vhost!.vhost)).find((q) => q.name === queue)?.messages ?? 0,
  },
]

beforeAll(async () => {
  if (haveRabbit) vhost = await createVhost()
}, 30_000)
afterAll(async () => {
  await vhost?.drop()
  forgetHub(memoryUrl)
}, 30_000)

const rpcs: Rpc[] = []
const subs: Subscription[] = []
afterEach(async () => {
  await Promise.all(subs.splice(0).map((s) => s.close()))
  await Promise.all(rpcs.splice(0).map((r) => r.close()))
}, 20_000)

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) })
  return { logger, lines }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * A compute host serving its manager (FakeDriver) on `compute.<host>`, declared at
 * `servedVersion`: the current 6.1, or 6.0 for a host still on the previous release.
 */
async function computeHost(bus: Bus, servedVersion: string, logger: Logger = log) {
  const host = `h-${hex()}`
  const transport = new RecordingTransport(bus.transport(logger))
  const rpc = new Rpc(transport, logger, 10)
  rpcs.push(rpc)
  const driver = new FakeDriver({ vcpus: 1, memory_mb: 512, local_gb: 1, spawnDelayS: 0, failBuild: false })
  await driver.init(host)
  // get_console_output needs neither the conductor nor compute_task: these are never called.
  const manager = new ComputeManager(
    driver,
    new ConductorClient(rpc),
    new ComputeTaskClient(rpc),
    {
      host,
      hostIp: '127.0.0.1',
      maxConcurrentBuilds: 0,
      allocationRatios: { cpu: 1, ram: 1, disk: 1 },
      reserved: { vcpus: 0, memoryMb: 0, diskGb: 0 },
    },
    logger,
  )
  subs.push(
    await rpc.serve({ topic: COMPUTE_TOPIC, server: host }, [{ version: servedVersion, endpoint: manager }]),
  )
  const instance = { uuid: `0c0ffee0-0000-4000-8000-${hex()}${hex().slice(0, 4)}`, host } as Instance
  return { host, transport, instance }
}

function apiProcess(bus: Bus): Rpc {
  const rpc = new Rpc(bus.transport(log), log, 10)
  rpcs.push(rpc)
  return rpc
}

for (const bus of buses) {
  describeNeeding(`rolling upgrade over the ${bus.name} bus`, bus.needs, () => {
    it('a client capped at 6.0 works against a 6.1 compute: the 6.0 form arrives, the answer is the same', async () => {
      const { transport, instance } = await computeHost(bus, COMPUTE_RPC_VERSION)
      const rpc = apiProcess(bus)
      const full = `FAKE CONSOLE OUTPUT of ${instance.uuid}\nANOTHER\nLAST LINE\n`

      const capped = new ComputeClient(rpc, capAt('6.0'))
      expect(await capped.getConsoleOutput(ctx, instance, null)).toBe(full)
      expect(await capped.getConsoleOutput(ctx, instance, '3')).toBe('ANOTHER\nLAST LINE\n')
      expect(await capped.getConsoleOutput(ctx, instance, null, 14)).toBe('HER\nLAST LINE\n')
      const old = transport.receivedFor('get_console_output')
      expect(old.map((m) => m.version)).toEqual(['6.0', '6.0', '6.0'])
      expect(old.every((m) => !('max_bytes' in (m.args as object)))).toBe(true)

      // Uncapped, the same answers come in the 6.1 form, cut by the compute host.
      const current = new ComputeClient(rpc)
      expect(await current.getConsoleOutput(ctx, instance, null)).toBe(full)
      expect(await current.getConsoleOutput(ctx, instance, '3')).toBe('ANOTHER\nLAST LINE\n')
      expect(await current.getConsoleOutput(ctx, instance, null, 14)).toBe('HER\nLAST LINE\n')
      const now = transport.receivedFor('get_console_output').slice(3)
      expect(now.map((m) => m.version)).toEqual(['6.1', '6.1', '6.1'])
      expect(now[2]!.args).toMatchObject({ tail_length: null, max_bytes: 14 })
    })

    it('a 6.1 client against a 6.0 compute: the call fails with a typed UnsupportedVersion saying both versions and the method', async () => {
      const { instance } = await computeHost(bus, '6.0')
      const err = await new ComputeClient(apiProcess(bus))
        .getConsoleOutput(ctx, instance, null)
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(UnsupportedVersion)
      expect((err as Error).message).toBe(
        "Endpoint does not support RPC version 6.1. Attempted method: get_console_output. This server's compute endpoint is at version 6.0: upgrade it, or cap what is sent to it with [upgrade_levels] compute",
      )
    })

    it('capping the newer client at 6.0 makes the older compute answer', async () => {
      const { instance } = await computeHost(bus, '6.0')
      const output = await new ComputeClient(apiProcess(bus), capAt('6.0')).getConsoleOutput(ctx, instance, 1)
      expect(output).toBe('')
      expect(await new ComputeClient(apiProcess(bus), capAt('6.0')).getConsoleOutput(ctx, instance, 2)).toBe(
        'LAST LINE\n',
      )
    })

    it('a cast in a version the compute does not know: logged at error level with the detail, acknowledged, the server goes on', async () => {
      const { logger, lines } = capturingLogger()
      const { host, instance } = await computeHost(bus, '6.0', logger)
      // A sender from a future release: terminate_instance in a form 6.0 does not know.
      const future = apiProcess(bus).client({ topic: COMPUTE_TOPIC, server: host, version: '6.2' })
      await future.cast(ctx, 'terminate_instance', { instance })
      await waitFor('the refusal in the log', () =>
        lines.some((l) => String(l.msg).startsWith('RPC cast refused')),
      )
      const [line] = lines.filter((l) => String(l.msg).startsWith('RPC cast refused'))
      expect(line!.level).toBe(50)
      expect(line!.msg).toBe(
        "RPC cast refused and dropped: Endpoint does not support RPC version 6.2. Attempted method: terminate_instance. This server's compute endpoint is at version 6.0: upgrade it, or cap what is sent to it with [upgrade_levels] compute",
      )
      expect(line).toMatchObject({ method: 'terminate_instance', version: '6.2' })
      expect(await bus.queueDepth(`${COMPUTE_TOPIC}.${host}`)).toBe(0)
      // Still serving what it knows.
      expect(await new ComputeClient(apiProcess(bus), capAt('6.0')).getConsoleOutput(ctx, instance, 1)).toBe(
        '',
      )
    })
  })
}
