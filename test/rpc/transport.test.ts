import { randomBytes } from 'node:crypto'
import { connect as amqpConnect } from 'amqplib'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AmqpTransport, parseRabbitUrl, redactTransportUrl } from '../../src/rpc/amqp/amqp-transport.js'
import { forgetHub, hubFor, InProcessTransport } from '../../src/rpc/in-process/in-process-transport.js'
import { Rpc, type ServedEndpoint } from '../../src/rpc/rpc.js'
import type {
  Message,
  MessageHandler,
  ReplyEvents,
  SendOptions,
  Subscription,
  Target,
  Transport,
} from '../../src/rpc/transport.js'
import { makeContext, type RequestContext } from '../../src/shared/context.js'
import {
  FlavorExists,
  InstanceNotFound,
  MessagingTimeout,
  MessagingUnavailable,
  NoSuchMethod,
  NotFound,
  NoValidHost,
  RemoteError,
} from '../../src/shared/errors.js'
import { createLogger, type Logger } from '../../src/shared/logger.js'
import { describeNeeding, type ServiceName, serviceReachable } from '../harness/matrix.js'
import {
  closeConnections,
  countConnections,
  createVhost,
  listExchanges,
  listQueues,
  type QueueInfo,
  type TestVhost,
} from '../harness/rabbit.js'

const log = createLogger({ name: 'transport-test' })
if (!process.env.TSNOVA_LOG_LEVEL) log.level = 'silent'

const haveRabbit = serviceReachable('rabbitmq')

const hex = (): string => randomBytes(4).toString('hex')

interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A test endpoint: answers with its own name, records casts, throws on request. */
class Probe {
  readonly casts: Record<string, unknown>[] = []
  readonly contexts: RequestContext[] = []
  constructor(readonly name: string) {}
  async echo(_ctx: RequestContext, args: Record<string, unknown>): Promise<unknown> {
    return { server: this.name, args }
  }
  async whoami(): Promise<string> {
    return this.name
  }
  async record(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    this.casts.push(args)
  }
  async fail(_ctx: RequestContext, args: Record<string, unknown>): Promise<never> {
    throw new NoValidHost(String(args.reason))
  }
  async whoasks(ctx: RequestContext): Promise<unknown> {
    this.contexts.push(ctx)
    return { requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId, roles: ctx.roles }
  }
  async slow(_ctx: RequestContext, args: Record<string, unknown>): Promise<unknown> {
    await sleep(Number(args.ms ?? 10))
    return args.i
  }
}

const served = (endpoint: object): ServedEndpoint[] => [{ version: '1.0', endpoint }]

/** An endpoint whose methods throw as real ones do: a Nova error, a bug, a Nova error the caller cannot rebuild. */
class Thrower {
  readonly casts: Record<string, unknown>[] = []
  attempts = 0
  async lose(_ctx: RequestContext, args: Record<string, unknown>): Promise<never> {
    this.attempts++
    throw new InstanceNotFound(String(args.uuid))
  }
  async stumble(): Promise<never> {
    this.attempts++
    throw new TypeError("Cannot read properties of undefined (reading 'host')")
  }
  async refuse(): Promise<never> {
    this.attempts++
    throw new FlavorExists('m1.tiny')
  }
  async explode(): Promise<never> {
    this.attempts++
    throw new Error('cast handler exploded')
  }
  async record(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    this.casts.push(args)
  }
  async whoami(): Promise<string> {
    return 'thrower'
  }
}

/**
 * A transport whose servers count what reaches them by `_unique_id`: a redelivery (which Rpc's
 * duplicate check would hide from the endpoint) shows up as a second count.
 */
class DeliveryCounter implements Transport {
  readonly deliveries = new Map<string, number>()
  constructor(private readonly inner: Transport) {}
  send(target: Target, message: Message, options?: SendOptions): Promise<void> {
    return this.inner.send(target, message, options)
  }
  reply(replyQueue: string, message: Message): Promise<void> {
    return this.inner.reply(replyQueue, message)
  }
  listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    return this.inner.listen(target, async (message) => {
      const id = String(message._unique_id)
      this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1)
      await handler(message)
    })
  }
  replyQueue(handler: (message: Message) => void, events?: ReplyEvents): Promise<string> {
    return this.inner.replyQueue(handler, events)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

/** A logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) })
  return { logger, lines }
}

interface Bus {
  readonly name: string
  /** The local services it runs on (its suites fail in CI, and are skipped elsewhere, without them). */
  readonly needs: readonly ServiceName[]
  /** A new "process": its own transport on the shared bus. */
  transport(logger?: Logger): Transport
  /** Messages still in a queue, delivered or not: 0 once every one was acknowledged. */
  queueDepth(queue: string): Promise<number>
  setup(): Promise<void>
  teardown(): Promise<void>
}

let vhost: TestVhost | undefined

const memoryUrl = `memory://transport-test-${hex()}`
const inProcessBus: Bus = {
  name: 'in-process',
  needs: [],
  transport: (logger = log) => new InProcessTransport(hubFor(memoryUrl), logger),
  // The bus holds a message only while no consumer is attached; a requeue would show as a second delivery.
  queueDepth: async (queue) => hubFor(memoryUrl).queues.get(queue)?.backlog.length ?? 0,
  setup: async () => {},
  teardown: async () => forgetHub(memoryUrl),
}
const amqpBus: Bus = {
  name: 'amqp',
  needs: ['rabbitmq'],
  transport: (logger = log) => new AmqpTransport(vhost!.url, { controlExchange: 'nova', log: logger }),
  queueDepth: async (queue) => (await listQueues(vhost!.vhost)).find((q) => q.name === queue)?.messages ?? 0,
  setup: async () => {
    vhost = await createVhost()
  },
  teardown: async () => {
    await vhost?.drop()
  },
}

beforeAll(async () => {
  if (haveRabbit) await amqpBus.setup()
}, 30_000)
afterAll(async () => {
  await amqpBus.teardown()
  await inProcessBus.teardown()
}, 30_000)

/** Every Rpc, transport and subscription a test opens, closed after it (subscriptions first). */
const opened: { rpcs: Rpc[]; transports: Transport[]; subs: Subscription[] } = {
  rpcs: [],
  transports: [],
  subs: [],
}
afterEach(async () => {
  await Promise.all(opened.subs.splice(0).map((s) => s.close()))
  await Promise.all(opened.rpcs.splice(0).map((r) => r.close()))
  await Promise.all(opened.transports.splice(0).map((t) => t.close()))
}, 20_000)

function processOn(bus: Bus, logger?: Logger): Rpc {
  const rpc = new Rpc(bus.transport(logger), logger ?? log, 10)
  opened.rpcs.push(rpc)
  return rpc
}

async function serve(rpc: Rpc, target: Target, endpoint: object): Promise<Subscription> {
  const sub = await rpc.serve(target, served(endpoint))
  opened.subs.push(sub)
  return sub
}

for (const bus of [inProcessBus, amqpBus]) {
  describeNeeding(`${bus.name} transport conformance`, bus.needs, () => {
    it('call returns the result', async () => {
      const topic = `conductor-${hex()}`
      await serve(processOn(bus), { topic, server: 'c1' }, new Probe('c1'))
      const client = processOn(bus).client({ topic, version: '1.0' })
      const result = await client.call(makeContext(), 'echo', { a: 1, nested: { b: [1, 2, 'x'] }, n: null })
      expect(result).toEqual({ server: 'c1', args: { a: 1, nested: { b: [1, 2, 'x'] }, n: null } })
    })

    it('cast is delivered', async () => {
      const topic = `conductor-${hex()}`
      const probe = new Probe('c1')
      await serve(processOn(bus), { topic, server: 'c1' }, probe)
      await processOn(bus).client({ topic, version: '1.0' }).cast(makeContext(), 'record', { k: 'v' })
      await waitFor('the cast', () => probe.casts.length === 1)
      expect(probe.casts).toEqual([{ k: 'v' }])
    })

    it('call to topic.server reaches only that server', async () => {
      const topic = `compute-${hex()}`
      const h1 = new Probe('host1')
      const h2 = new Probe('host2')
      await serve(processOn(bus), { topic, server: 'host1' }, h1)
      await serve(processOn(bus), { topic, server: 'host2' }, h2)
      const client = processOn(bus).client({ topic, version: '1.0' })
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          client.prepare({ server: 'host1' }).call<string>(makeContext(), 'whoami', {}),
        ),
      )
      expect(new Set(answers)).toEqual(new Set(['host1']))
      for (let i = 0; i < 10; i++)
        await client.prepare({ server: 'host2' }).cast(makeContext(), 'record', { i })
      await waitFor('casts at host2', () => h2.casts.length === 10)
      await sleep(100)
      expect(h1.casts).toEqual([])
      expect(h2.casts.map((c) => c.i)).toEqual([...Array(10).keys()])
    })

    it('fanout cast reaches every server of the topic', async () => {
      const topic = `scheduler-${hex()}`
      const probes = ['s1', 's2', 's3'].map((n) => new Probe(n))
      for (const p of probes) await serve(processOn(bus), { topic, server: p.name }, p)
      const client = processOn(bus).client({ topic, fanout: true, version: '1.0' })
      await client.cast(makeContext(), 'record', { update: 'aggregates' })
      await waitFor('every fanout copy', () => probes.every((p) => p.casts.length >= 1))
      await sleep(100)
      for (const p of probes) expect(p.casts).toEqual([{ update: 'aggregates' }])
    })

    it('a fanout cast with no server listening is not an error', async () => {
      const client = processOn(bus).client({ topic: `nobody-${hex()}`, fanout: true, version: '1.0' })
      await expect(client.cast(makeContext(), 'record', {})).resolves.toBeUndefined()
    })

    it('call times out with MessagingTimeout when nobody serves', async () => {
      const client = processOn(bus).client({ topic: `nobody-${hex()}`, version: '1.0' })
      const started = Date.now()
      await expect(client.call(makeContext(), 'echo', {}, 0.3)).rejects.toBeInstanceOf(MessagingTimeout)
      expect(Date.now() - started).toBeLessThan(3000)
    })

    it('a remote error comes back typed', async () => {
      const topic = `conductor-${hex()}`
      await serve(processOn(bus), { topic }, new Probe('c1'))
      const client = processOn(bus).client({ topic, version: '1.0' })
      const err = await client.call(makeContext(), 'fail', { reason: 'x' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NoValidHost)
      expect((err as Error).message).toBe(new NoValidHost('x').message)
    })

    it('an unknown method is NoSuchMethod', async () => {
      const topic = `conductor-${hex()}`
      await serve(processOn(bus), { topic }, new Probe('c1'))
      const client = processOn(bus).client({ topic, version: '1.0' })
      await expect(client.call(makeContext(), 'no_such_thing', {})).rejects.toBeInstanceOf(NoSuchMethod)
      await expect(client.call(makeContext(), '_private', {})).rejects.toBeInstanceOf(NoSuchMethod)
    })

    it('the request context arrives at the endpoint', async () => {
      const topic = `conductor-${hex()}`
      const probe = new Probe('c1')
      await serve(processOn(bus), { topic }, probe)
      const ctx = makeContext({ userId: 'u1', projectId: 'p1', roles: ['member'] })
      const seen = await processOn(bus).client({ topic, version: '1.0' }).call(ctx, 'whoasks', {})
      expect(seen).toEqual({ requestId: ctx.requestId, userId: 'u1', projectId: 'p1', roles: ['member'] })
      expect(probe.contexts[0]?.requestId).toBe(ctx.requestId)
    })

    it('200 concurrent calls are all answered', async () => {
      const topic = `conductor-${hex()}`
      await serve(processOn(bus), { topic, server: 'a' }, new Probe('a'))
      await serve(processOn(bus), { topic, server: 'b' }, new Probe('b'))
      const client = processOn(bus).client({ topic, version: '1.0' })
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => client.call<number>(makeContext(), 'slow', { i, ms: 20 })),
      )
      expect(results).toEqual([...Array(200).keys()])
    })

    it('an endpoint that throws: the caller gets the typed error, each request is acknowledged once', async () => {
      const topic = `conductor-${hex()}`
      const counter = new DeliveryCounter(bus.transport())
      const server = new Rpc(counter, log, 10)
      opened.rpcs.push(server)
      const thrower = new Thrower()
      await serve(server, { topic }, thrower)
      const client = processOn(bus).client({ topic, version: '1.0' })

      const notFound = await client.call(makeContext(), 'lose', { uuid: 'abc' }).catch((e: unknown) => e)
      expect(notFound).toBeInstanceOf(InstanceNotFound)
      expect(notFound).toBeInstanceOf(NotFound)
      expect((notFound as Error).message).toBe(new InstanceNotFound('abc').message)
      // A class the caller does not know (a bug's TypeError, a Nova error not allowed back) is RemoteError.
      const bug = await client.call(makeContext(), 'stumble', {}).catch((e: unknown) => e)
      expect(bug).toBeInstanceOf(RemoteError)
      expect((bug as RemoteError).excType).toBe('TypeError')
      expect((bug as Error).message).toContain("reading 'host'")
      const unknown = await client.call(makeContext(), 'refuse', {}).catch((e: unknown) => e)
      expect(unknown).toBeInstanceOf(RemoteError)
      expect((unknown as RemoteError).excType).toBe('FlavorExists')
      // The server goes on with the next request.
      expect(await client.call(makeContext(), 'whoami', {})).toBe('thrower')

      await sleep(200)
      expect(thrower.attempts).toBe(3)
      expect([...counter.deliveries.values()]).toEqual([1, 1, 1, 1])
      expect(await bus.queueDepth(topic)).toBe(0)
    })

    it('an endpoint that throws on a cast: logged, acknowledged once, the server goes on', async () => {
      const { logger, lines } = capturingLogger()
      const topic = `conductor-${hex()}`
      const counter = new DeliveryCounter(bus.transport(logger))
      const server = new Rpc(counter, logger, 10)
      opened.rpcs.push(server)
      const thrower = new Thrower()
      await serve(server, { topic, server: 'c1' }, thrower)
      const client = processOn(bus).client({ topic, server: 'c1', version: '1.0' })
      await client.cast(makeContext(), 'explode', { n: 1 })
      await client.cast(makeContext(), 'explode', { n: 2 })
      await client.cast(makeContext(), 'record', { n: 3 })

      await waitFor('the cast after the failures', () => thrower.casts.length === 1)
      await waitFor(
        'both failures logged',
        () => lines.filter((l) => l.msg === 'RPC cast failed').length === 2,
      )
      await sleep(200)
      expect(thrower.attempts).toBe(2)
      expect(lines.filter((l) => l.msg === 'RPC cast failed').every((l) => l.level === 50)).toBe(true)
      expect([...counter.deliveries.values()]).toEqual([1, 1, 1])
      expect(await bus.queueDepth(`${topic}.c1`)).toBe(0)
      // Rpc's handler did not reject: the transport had nothing to report.
      expect(lines.filter((l) => l.msg === 'message handler failed; message acknowledged')).toEqual([])
    })

    it('a transport handler that rejects: logged, acknowledged, not requeued; the next message is handled', async () => {
      const { logger, lines } = capturingLogger()
      const server = bus.transport(logger)
      const sender = bus.transport()
      opened.transports.push(server, sender)
      const topic = `raw-${hex()}`
      const got: Message[] = []
      opened.subs.push(
        await server.listen({ topic }, async (m) => {
          got.push(m)
          if (m.fail) throw new Error('handler failed')
        }),
      )
      await sender.send({ topic }, { method: 'first', fail: true })
      await sender.send({ topic }, { method: 'second' })
      await waitFor('both messages', () => got.length >= 2)
      await sleep(300)
      expect(got.map((m) => m.method).sort()).toEqual(['first', 'second'])
      const failures = lines.filter((l) => l.msg === 'message handler failed; message acknowledged')
      expect(failures).toHaveLength(1)
      expect(failures[0]).toMatchObject({ level: 50, method: 'first' })
      expect(await bus.queueDepth(topic)).toBe(0)
    })

    it('500 concurrent calls (timed)', async () => {
      const topic = `conductor-${hex()}`
      await serve(processOn(bus), { topic }, new Probe('a'))
      const client = processOn(bus).client({ topic, version: '1.0' })
      await client.call(makeContext(), 'whoami', {}) // warm up: reply queue declared
      const started = performance.now()
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => client.call<unknown>(makeContext(), 'echo', { i })),
      )
      const ms = performance.now() - started
      expect(results).toHaveLength(500)
      console.info(`[measure] ${bus.name}: 500 concurrent calls in ${ms.toFixed(0)} ms`)
    }, 30_000)
  })
}

describe('parseRabbitUrl', () => {
  it('parses the oslo form, with the default vhost for an empty path', () => {
    expect(parseRabbitUrl('rabbit://nova:s3cr%40t@mq1:5673/')).toEqual({
      protocol: 'amqp',
      hosts: [{ hostname: 'mq1', port: 5673, username: 'nova', password: 's3cr@t' }],
      vhost: '/',
    })
    expect(parseRabbitUrl('rabbit://u:p@h').vhost).toBe('/')
    expect(parseRabbitUrl('amqp://u:p@h/cell1').vhost).toBe('cell1')
    expect(parseRabbitUrl('rabbit://u:p@h/%2F').vhost).toBe('/')
  })

  it('parses several comma-separated hosts', () => {
    const url = parseRabbitUrl('rabbit://u1:p1@h1:5672,u2:p2@h2:5673,h3/vh')
    expect(url.hosts).toEqual([
      { hostname: 'h1', port: 5672, username: 'u1', password: 'p1' },
      { hostname: 'h2', port: 5673, username: 'u2', password: 'p2' },
      { hostname: 'h3', port: 5672, username: 'u2', password: 'p2' },
    ])
    expect(url.vhost).toBe('vh')
    expect(parseRabbitUrl('rabbit://u:p@[::1]:5672/').hosts[0]?.hostname).toBe('::1')
    expect(parseRabbitUrl('rabbit://u:p@h/?ssl=1').protocol).toBe('amqps')
  })

  it('redacts passwords', () => {
    expect(redactTransportUrl('rabbit://u1:p1@h1:5672,u2:p2@h2/vh')).toBe(
      'rabbit://u1:***@h1:5672,u2:***@h2/vh',
    )
  })
})

describeNeeding('amqp transport', ['rabbitmq'], () => {
  const amqp = amqpBus

  it('redelivers a message whose consumer dies mid-handling', async () => {
    const topic = `work-${hex()}`
    const started = deferred()
    const release = deferred()
    const a = processOn(amqp)
    await serve(
      a,
      { topic },
      {
        async work(): Promise<string> {
          started.resolve()
          await release.promise
          return 'A'
        },
      },
    )
    const pending = processOn(amqp)
      .client({ topic, version: '1.0' })
      .call<string>(makeContext(), 'work', {}, 20)
    await started.promise
    await serve(processOn(amqp), { topic }, { work: async () => 'B' })
    await a.close() // "the process dies": the unacknowledged request goes back to the queue
    await expect(pending).resolves.toBe('B')
    release.resolve()
  }, 30_000)

  it('acknowledges a request only once its handler settles, a rejection included', async () => {
    const lines: Array<Record<string, unknown>> = []
    const captured = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) })
    const transport = amqp.transport(captured)
    try {
      const topic = `raw-${hex()}`
      const gate = deferred()
      const got: Message[] = []
      await transport.listen({ topic }, async (m) => {
        got.push(m)
        await gate.promise
        throw new Error('handler failed')
      })
      await transport.send({ topic }, { method: 'x', n: 1 })
      await waitFor('the delivery', () => got.length === 1)
      const queue = async (): Promise<QueueInfo | undefined> =>
        (await listQueues(vhost!.vhost)).find((q) => q.name === topic)
      expect(await queue()).toMatchObject({ messages: 1, messages_unacknowledged: 1 })
      gate.resolve()
      await waitFor('the error log', () => lines.some((l) => l.level === 50))
      await sleep(50)
      expect(await queue()).toMatchObject({ messages: 0, messages_unacknowledged: 0 })
      expect(got).toEqual([{ method: 'x', n: 1 }])
      expect(lines.find((l) => l.level === 50)?.msg).toBe('message handler failed; message acknowledged')
    } finally {
      await transport.close()
    }
  }, 20_000)

  it('lays out queues and exchanges as oslo.messaging does', async () => {
    const conductor = processOn(amqp)
    await serve(conductor, { topic: 'conductor', server: 'ctl1' }, new Probe('ctl1'))
    const compute = processOn(amqp)
    const computeSub = await serve(compute, { topic: 'compute', server: 'host1' }, new Probe('host1'))
    await compute.client({ topic: 'conductor', version: '1.0' }).call(makeContext(), 'whoami', {})

    const queues = await listQueues(vhost!.vhost)
    const byName = new Map(queues.map((q) => [q.name, q]))
    for (const name of ['conductor', 'conductor.ctl1', 'compute', 'compute.host1']) {
      expect(byName.get(name), name).toMatchObject({ durable: false, auto_delete: false, arguments: {} })
    }
    const fanouts = queues.filter((q) => /^compute_fanout_[0-9a-f]{32}$/.test(q.name))
    const replies = queues.filter((q) => /^reply_[0-9a-f]{32}$/.test(q.name))
    expect(fanouts).toHaveLength(1)
    expect(replies).toHaveLength(1)
    for (const q of [...fanouts, ...replies]) {
      expect(q).toMatchObject({ durable: false, auto_delete: false, arguments: { 'x-expires': 1800000 } })
    }

    const exchanges = new Map((await listExchanges(vhost!.vhost)).map((e) => [e.name, e]))
    expect(exchanges.get('nova')).toEqual({ name: 'nova', type: 'topic', durable: false, auto_delete: false })
    expect(exchanges.get('compute_fanout')).toEqual({
      name: 'compute_fanout',
      type: 'fanout',
      durable: false,
      auto_delete: true,
    })

    // Closing the server deletes its fanout queue; the shared queues stay.
    await computeSub.close()
    const after = (await listQueues(vhost!.vhost)).map((q) => q.name)
    expect(after).not.toContain(fanouts[0]!.name)
    expect(after).toContain('compute.host1')
  }, 30_000)

  it('puts the oslo envelope on the wire, with a TTL on calls', async () => {
    const model = await amqpConnect(`amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost!.vhost)}`)
    try {
      const ch = await model.createChannel()
      const topic = `probe-${hex()}`
      await ch.assertExchange('nova', 'topic', { durable: false, autoDelete: false })
      await ch.assertQueue(topic, { durable: false, autoDelete: false })
      await ch.bindQueue(topic, 'nova', topic)
      const client = processOn(amqp).client({ topic, version: '1.0' })
      const ctx = makeContext()
      await client.cast(ctx, 'record', { x: 1 })
      const cast = await ch.get(topic, { noAck: true })
      // Nobody answers the call; read its request before its 1 s TTL runs out.
      const calling = client.call(ctx, 'echo', {}, 1)
      const got: { call: Awaited<ReturnType<typeof ch.get>> } = { call: false }
      const polling = setInterval(() => {
        void ch.get(topic, { noAck: true }).then((m) => {
          if (m) got.call = m
        })
      }, 20)
      await waitFor('the call request', () => got.call !== false, 900).finally(() => clearInterval(polling))
      await expect(calling).rejects.toBeInstanceOf(MessagingTimeout)
      const call = got.call
      expect(cast && call).toBeTruthy()
      if (!cast || !call) return
      expect(cast.properties.contentType).toBe('application/json')
      expect(cast.properties.expiration).toBeUndefined()
      expect(call.properties.expiration).toBe('1000')
      const outer = JSON.parse(cast.content.toString()) as Record<string, unknown>
      expect(outer['oslo.version']).toBe('2.0')
      const inner = JSON.parse(String(outer['oslo.message'])) as Record<string, unknown>
      expect(inner).toMatchObject({
        method: 'record',
        args: { x: 1 },
        version: '1.0',
        _context_request_id: ctx.requestId,
      })
      const callInner = JSON.parse(
        String((JSON.parse(call.content.toString()) as Record<string, unknown>)['oslo.message']),
      ) as Record<string, unknown>
      expect(callInner._msg_id).toMatch(/^[0-9a-f]{32}$/)
      expect(callInner._reply_q).toMatch(/^reply_[0-9a-f]{32}$/)
    } finally {
      await model.close()
    }
  }, 30_000)

  it('recovers from a broker connection cut', async () => {
    const lines: Array<Record<string, unknown>> = []
    const captured = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) })
    const topic = `conductor-${hex()}`
    const server = processOn(amqp, captured)
    await serve(server, { topic, server: 'c1' }, new Probe('c1'))
    const client = processOn(amqp, captured).client({ topic, version: '1.0' })
    expect(await client.call(makeContext(), 'whoami', {})).toBe('c1')

    await closeConnections(vhost!.vhost)
    // Straight after the cut: send waits (bounded) for recovery, the server re-attaches, the reply finds its queue.
    const started = Date.now()
    expect(await client.call(makeContext(), 'whoami', {}, 15)).toBe('c1')
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.call<number>(makeContext(), 'slow', { i, ms: 1 })),
    )
    expect(results).toEqual([...Array(50).keys()])
    console.info(`[measure] amqp: calls answered again ${Date.now() - started} ms after the connection cut`)

    await waitFor(
      'both reconnect logs',
      () => lines.filter((l) => l.msg === 'reconnected to the message broker').length === 2,
    )
    const lost = lines.filter((l) => l.msg === 'lost connection to the message broker; reconnecting')
    expect(lost).toHaveLength(2) // once per transport (two processes), at warn
    expect(lost.every((l) => l.level === 40)).toBe(true)
    expect(await countConnections(vhost!.vhost)).toBe(2)
  }, 40_000)

  it('calls in flight across a connection cut all complete', async () => {
    const topic = `conductor-${hex()}`
    await serve(processOn(amqp), { topic, server: 'a' }, new Probe('a'))
    await serve(processOn(amqp), { topic, server: 'b' }, new Probe('b'))
    let reconnects = 0
    const counting = pino(
      { level: 'info' },
      { write: (s: string) => void (s.includes('reconnected') && reconnects++) },
    )
    const watched = processOn(amqp, counting).client({ topic, version: '1.0' })
    await watched.call(makeContext(), 'whoami', {})
    for (let round = 0; round < 3; round++) {
      // Calls spread over ~3 s, 10 ms each, so some are in every stage when the cut lands
      // (rabbitmqctl itself takes about a second).
      const calls = Array.from({ length: 300 }, (_, i) =>
        sleep(i * 10).then(() => watched.call<number>(makeContext(), 'slow', { i, ms: 10 }, 20)),
      )
      const before = reconnects
      await closeConnections(vhost!.vhost)
      expect(await Promise.all(calls)).toEqual([...Array(300).keys()])
      await waitFor('the client to reconnect', () => reconnects > before)
    }
  }, 90_000)

  it('restores a server whose queue was deleted under it', async () => {
    const topic = `conductor-${hex()}`
    await serve(processOn(amqp), { topic, server: 'c1' }, new Probe('c1'))
    const client = processOn(amqp).client({ topic, version: '1.0' })
    expect(await client.call(makeContext(), 'whoami', {})).toBe('c1')
    const model = await amqpConnect(`amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost!.vhost)}`)
    try {
      const ch = await model.createChannel()
      await ch.deleteQueue(topic) // the broker cancels the server's consumer
    } finally {
      await model.close()
    }
    const until = Date.now() + 10_000
    for (;;) {
      if ((await listQueues(vhost!.vhost)).some((q) => q.name === topic && q.consumers === 1)) break
      if (Date.now() > until) throw new Error('queue not restored')
      await sleep(100)
    }
    expect(await client.call(makeContext(), 'whoami', {}, 10)).toBe('c1')
  }, 30_000)

  it('fails fast with MessagingUnavailable when the broker is unreachable', async () => {
    const transport = new AmqpTransport('rabbit://guest:guest@127.0.0.1:1/', {
      controlExchange: 'nova',
      log,
      unavailableAfterMs: 500,
    })
    const started = Date.now()
    const err = await transport.send({ topic: 'conductor' }, { method: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MessagingUnavailable)
    // The reason the last attempt failed, not just "unreachable".
    expect((err as Error).message).toMatch(/unreachable \(waited 500 ms\): 127\.0\.0\.1:1: .*ECONNREFUSED/)
    await expect(transport.reply('reply_x', { result: 1 })).rejects.toBeInstanceOf(MessagingUnavailable)
    expect(Date.now() - started).toBeLessThan(3000)
    await transport.close()
    await expect(transport.send({ topic: 'conductor' }, {})).rejects.toBeInstanceOf(MessagingUnavailable)
  })

  it('fails over to the next host of a multi-host URL', async () => {
    const url = `rabbit://guest:guest@127.0.0.1:1,guest:guest@127.0.0.1:5672/${encodeURIComponent(vhost!.vhost)}`
    const topic = `conductor-${hex()}`
    const rpc = new Rpc(new AmqpTransport(url, { controlExchange: 'nova', log }), log, 10)
    opened.rpcs.push(rpc)
    await serve(rpc, { topic }, new Probe('c1'))
    expect(await rpc.client({ topic, version: '1.0' }).call(makeContext(), 'whoami', {})).toBe('c1')
  }, 20_000)

  it('close() leaves no connection, consumer or private queue behind', async () => {
    const transport = amqp.transport()
    const rpc = new Rpc(transport, log, 10)
    const topic = `conductor-${hex()}`
    await rpc.serve({ topic }, served(new Probe('c1'))) // left open: close() must tidy it
    expect(await rpc.client({ topic, version: '1.0' }).call(makeContext(), 'whoami', {})).toBe('c1')
    const replyQ = await transport.replyQueue(() => {})
    const mine = (await listQueues(vhost!.vhost)).filter(
      (q) => q.name === replyQ || q.name.startsWith(`${topic}_fanout_`),
    )
    expect(mine).toHaveLength(2)
    await rpc.close()
    expect(await countConnections(vhost!.vhost)).toBe(0)
    const queues = await listQueues(vhost!.vhost)
    expect(queues.map((q) => q.name).filter((n) => n === replyQ || n.startsWith(`${topic}_fanout_`))).toEqual(
      [],
    )
    expect(queues.find((q) => q.name === topic)).toMatchObject({ consumers: 0 })
  }, 20_000)
})
