import { randomUUID } from 'node:crypto'
import {
  type Message as AmqpMessage,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  type Options,
  type RecoveringChannelModel,
} from 'amqplib'
import { MessagingUnavailable } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import {
  fanoutExchange,
  type Message,
  type MessageHandler,
  type ReplyEvents,
  routingKey,
  type SendOptions,
  type Subscription,
  type Target,
  type Transport,
} from '../transport.js'
import { unwrapEnvelope, wrapEnvelope } from '../wire.js'

/** `rabbit_transient_queues_ttl`: reply and fanout queues vanish 30 minutes after their last consumer. */
export const TRANSIENT_QUEUE_TTL_MS = 1_800_000

export interface AmqpTransportOptions {
  /** `control_exchange`: the topic exchange every RPC request goes through (Nova: `nova`). */
  readonly controlExchange: string
  readonly log: Logger
  /** How long send/reply/listen wait for a (re)connection before failing with MessagingUnavailable. */
  readonly unavailableAfterMs?: number
  /** Unacknowledged messages per consumer: how many requests a server handles at once per queue. */
  readonly prefetch?: number
  /** How long a publish waits for the broker's confirm. */
  readonly confirmTimeoutMs?: number
  /** TCP connect + AMQP handshake timeout per attempt. */
  readonly connectTimeoutMs?: number
  /** AMQP heartbeat interval, seconds (oslo: heartbeat_timeout_threshold 60 / rate 2). */
  readonly heartbeatS?: number
  /**
   * `[oslo_messaging_rabbit] amqp_durable_queues`: the control exchange and the topic queues are
   * durable and requests to them persistent, so what is queued survives a broker restart.
   */
  readonly durableQueues?: boolean
}

export interface BrokerHost {
  readonly hostname: string
  readonly port: number
  readonly username: string
  readonly password: string
}

export interface RabbitUrl {
  /** `amqps` when the scheme asks for TLS (`amqps://`, `rabbit+ssl://`), else `amqp`. */
  readonly protocol: 'amqp' | 'amqps'
  /** Tried in order, round-robin on failure (oslo's kombu_failover_strategy). */
  readonly hosts: readonly BrokerHost[]
  /** The virtual host, decoded; an empty path means the default vhost `/`. */
  readonly vhost: string
}

/**
 * Parse an oslo.messaging transport URL: `rabbit://user:pass@host:port/vhost`, with several
 * comma-separated `user:pass@host:port` entries for a cluster. `amqp://` is accepted too.
 */
export function parseRabbitUrl(url: string): RabbitUrl {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(url.trim())
  if (!m) throw new Error(`Invalid transport_url '${redactTransportUrl(url)}'`)
  const scheme = m[1]!.toLowerCase()
  let protocol: 'amqp' | 'amqps'
  if (scheme === 'rabbit' || scheme === 'amqp' || scheme === 'kombu+amqp') protocol = 'amqp'
  else if (scheme === 'amqps' || scheme === 'rabbit+ssl' || scheme === 'rabbits') protocol = 'amqps'
  else throw new Error(`Unsupported transport_url scheme '${scheme}' for RabbitMQ`)
  const query = new URLSearchParams(m[4]?.slice(1) ?? '')
  const ssl = query.get('ssl')
  if (ssl && ['1', 'true', 'yes', 'on'].includes(ssl.toLowerCase())) protocol = 'amqps'

  const defaultPort = protocol === 'amqps' ? 5671 : 5672
  const hosts: BrokerHost[] = []
  let lastUser = 'guest'
  let lastPass = 'guest'
  for (const entry of (m[2] ?? '').split(',')) {
    if (!entry) continue
    const at = entry.lastIndexOf('@')
    let username = lastUser
    let password = lastPass
    if (at >= 0) {
      const userinfo = entry.slice(0, at)
      const colon = userinfo.indexOf(':')
      username = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo)
      password = colon >= 0 ? decodeURIComponent(userinfo.slice(colon + 1)) : ''
      lastUser = username
      lastPass = password
    }
    const hostport = at >= 0 ? entry.slice(at + 1) : entry
    let hostname: string
    let portText: string | undefined
    const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport)
    if (v6) {
      hostname = v6[1]!
      portText = v6[2]
    } else {
      const colon = hostport.lastIndexOf(':')
      hostname = colon >= 0 ? hostport.slice(0, colon) : hostport
      portText = colon >= 0 ? hostport.slice(colon + 1) : undefined
    }
    const port = portText ? Number(portText) : defaultPort
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`Invalid port in transport_url '${redactTransportUrl(url)}'`)
    }
    hosts.push({ hostname: hostname || 'localhost', port, username, password })
  }
  if (hosts.length === 0)
    hosts.push({ hostname: 'localhost', port: defaultPort, username: 'guest', password: 'guest' })
  const path = m[3] ?? ''
  const vhost = path.length > 1 ? decodeURIComponent(path.slice(1)) : '/'
  return { protocol, hosts, vhost }
}

/** The URL with every password replaced by `***`, for logs and error messages. */
export function redactTransportUrl(url: string): string {
  return url.replace(/([/,])([^/,@:]*):([^@/,]*)@/g, '$1$2:***@')
}

/**
 * Open one plain connection to the broker (no recovery) and close it again: `tsnova-manage`'s
 * broker check. Resolves with the broker's product and version; rejects with MessagingUnavailable.
 */
export async function checkBroker(
  url: string,
  timeoutMs = 5000,
): Promise<{ product: string; version: string }> {
  const parsed = parseRabbitUrl(url)
  const errors: string[] = []
  for (const host of parsed.hosts) {
    try {
      const model = await connect(connectOptions(parsed, host), { timeout: timeoutMs, noDelay: true })
      model.on('error', () => {})
      const props = model.connection.serverProperties
      await model.close().catch(() => {})
      return { product: String(props.product ?? 'unknown'), version: String(props.version ?? 'unknown') }
    } catch (err) {
      errors.push(`${host.hostname}:${host.port}: ${errorText(err)}`)
    }
  }
  throw new MessagingUnavailable(`Cannot reach the message broker (${errors.join('; ')})`)
}

function connectOptions(url: RabbitUrl, host: BrokerHost, heartbeatS?: number): Options.Connect {
  return {
    protocol: url.protocol,
    hostname: host.hostname,
    port: host.port,
    username: host.username,
    password: host.password,
    // amqplib percent-decodes the vhost it is given.
    vhost: encodeURIComponent(url.vhost),
    ...(heartbeatS === undefined ? {} : { heartbeat: heartbeatS }),
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function hex(): string {
  return randomUUID().replaceAll('-', '')
}

function noop(): void {}

/** The broker's reply codes that mean "you asked for something wrong", not "the broker is away". */
const PERMANENT_CODES = new Set([403, 406, 530, 540])

function isPermanent(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'number' && PERMANENT_CODES.has(code)
}

function hasCode(err: unknown, code: number): boolean {
  return (err as { code?: unknown } | null)?.code === code
}

/**
 * RabbitMQ refused to declare a queue or exchange because it exists with other arguments
 * (PRECONDITION_FAILED), most often services disagreeing on `amqp_durable_queues`.
 */
export class InequivalentDeclaration extends Error {
  /** Kept from the broker's refusal, so it stays a permanent (not retried) failure. */
  readonly code = 406
}

/** The broker's refusal, worded so an operator knows which option to align and what to delete. */
function explainRefusedDeclaration(err: unknown, durableQueues: boolean): unknown {
  if (!hasCode(err, 406)) return err
  const refusal = errorText(err)
  const hint = /inequivalent arg 'durable'/.test(refusal)
    ? `This service has [oslo_messaging_rabbit] amqp_durable_queues = ${durableQueues ? 'True' : 'False'}, ` +
      'but the queue or exchange was declared with the other value. Every service on this broker ' +
      'must use the same value: align the option, or delete the old queues and the control exchange ' +
      '(e.g. rabbitmqctl delete_queue <name>) so that they are declared again.'
    : 'The queue or exchange exists with other arguments; delete it so that it is declared again.'
  return new InequivalentDeclaration(
    `RabbitMQ refused a declaration (PRECONDITION_FAILED): ${refusal}. ${hint}`,
  )
}

/** One established connection: everything here dies with it and is rebuilt by `setup`. */
interface Live {
  readonly model: ChannelModel
  /** Consumers (servers and the reply queue); prefetch applies per consumer. */
  readonly consume: Channel
  /** Publisher-confirm channel, opened lazily and reopened if the broker closes it. */
  pub: Promise<ConfirmChannel> | undefined
  /** Set while the publish channel's write buffer is full. */
  drain: Promise<void> | undefined
  dead: boolean
}

interface Listener {
  readonly target: Target
  readonly handler: MessageHandler
  readonly fanoutQueue: string
  closed: boolean
  /** The consumer tags on each connection this listener is attached to. */
  readonly attached: WeakMap<Live, Promise<string[]>>
}

interface Waiter {
  resolve(live: Live): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

/**
 * oslo.messaging's RabbitMQ layout over AMQP 0-9-1 (see the oslo wire anchor): requests go to
 * the topic exchange `controlExchange` with routing key `topic` / `topic.server`, fanouts to
 * `<topic>_fanout`, replies to the default exchange keyed by the caller's `reply_<uuid>` queue.
 *
 * One connection with amqplib's recovery: every (re)connect re-declares the layout and re-attaches
 * every consumer. Requests are acknowledged only once their handler has settled, so a server that
 * dies mid-request leaves it for another (at-least-once; Rpc drops duplicates by `_unique_id`).
 */
export class AmqpTransport implements Transport {
  private readonly url: RabbitUrl
  private readonly display: string
  private readonly log: Logger
  private readonly controlExchange: string
  private readonly unavailableAfterMs: number
  private readonly prefetch: number
  private readonly confirmTimeoutMs: number
  private readonly connectTimeoutMs: number
  private readonly durableQueues: boolean
  /** Mutable: amqplib re-reads it on every attempt, so rotating hosts is rewriting it. */
  private readonly connectOpts: Options.Connect
  private hostIndex = 0

  private conn: Promise<RecoveringChannelModel> | undefined
  private live: Live | undefined
  private readonly waiters = new Set<Waiter>()
  private readonly listeners = new Set<Listener>()
  private replyName: string | undefined
  private replyReady: Promise<string> | undefined
  private readonly replyAttached = new WeakMap<Live, Promise<void>>()
  private readonly replyHandlers = new Set<(message: Message) => void>()
  private readonly replyEvents = new Set<ReplyEvents>()
  /** Set once the reply queue was declared: a later connection that finds it gone lost its replies. */
  private replyDeclared = false
  private closed = false
  private lost = false
  private everConnected = false
  private warnedUnreachable = false

  constructor(url: string, options: AmqpTransportOptions) {
    this.url = parseRabbitUrl(url)
    this.display = redactTransportUrl(url)
    this.log = options.log.child({ transport: 'amqp' })
    this.controlExchange = options.controlExchange
    this.unavailableAfterMs = options.unavailableAfterMs ?? 5000
    this.prefetch = options.prefetch ?? 64
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 15_000
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000
    this.durableQueues = options.durableQueues ?? false
    this.connectOpts = connectOptions(this.url, this.url.hosts[0]!, options.heartbeatS ?? 30)
  }

  // ---------------------------------------------------------------- Transport

  async send(target: Target, message: Message, options: SendOptions = {}): Promise<void> {
    const body = Buffer.from(wrapEnvelope(message), 'utf8')
    const props: Options.Publish = {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
    }
    if (options.ttlMs !== undefined) props.expiration = String(Math.max(0, Math.ceil(options.ttlMs)))
    if (target.fanout) {
      const exchange = fanoutExchange(target.topic)
      // The fanout exchange is auto-delete: (re)declare it before each fanout, as oslo's fanout_send does.
      await this.publish(exchange, target.topic, body, props, (ch) =>
        ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true }),
      )
      return
    }
    // Mandatory, so a request nobody can receive is logged (the broker returns it) rather than vanishing.
    // Persistent on durable queues: a durable queue keeps only persistent messages across a restart.
    await this.publish(this.controlExchange, routingKey(target), body, {
      ...props,
      deliveryMode: this.durableQueues ? 2 : 1,
      mandatory: true,
    })
  }

  async reply(replyQueue: string, message: Message): Promise<void> {
    const body = Buffer.from(wrapEnvelope(message), 'utf8')
    await this.publish('', replyQueue, body, {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      mandatory: true,
    })
  }

  async listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    const listener: Listener = {
      target,
      handler,
      fanoutQueue: `${fanoutExchange(target.topic)}_${hex()}`,
      closed: false,
      attached: new WeakMap(),
    }
    this.listeners.add(listener)
    try {
      await this.onLiveConnection((live) => this.attachListener(live, listener))
    } catch (err) {
      this.listeners.delete(listener)
      throw err
    }
    return { close: () => this.unlisten(listener) }
  }

  async replyQueue(handler: (message: Message) => void, events?: ReplyEvents): Promise<string> {
    this.replyHandlers.add(handler)
    if (events) this.replyEvents.add(events)
    this.replyReady ??= this.declareReplyQueue().catch((err: unknown) => {
      this.replyReady = undefined
      throw err
    })
    return this.replyReady
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.failWaiters(new MessagingUnavailable('The message transport is closed'))
    const live = this.live
    if (live && !live.dead) {
      // Best effort, bounded: drop what only this process uses. Unacked requests return to their queues
      // when the connection closes.
      const cleanup = async (): Promise<void> => {
        for (const l of this.listeners) await this.detachListener(live, l)
        if (this.replyName) await this.declare(live, (ch) => ch.deleteQueue(this.replyName!))
      }
      await withTimeout(cleanup(), 2000).catch((err: unknown) =>
        this.log.debug({ err: errorText(err) }, 'could not clean up queues on close'),
      )
    }
    this.listeners.clear()
    this.live = undefined
    if (this.conn) {
      const conn = await this.conn.catch(() => undefined)
      await conn?.close().catch((err: unknown) => this.log.debug({ err }, 'error closing broker connection'))
    }
  }

  // ---------------------------------------------------------------- connection

  private start(): void {
    if (this.conn || this.closed) return
    const conn = connect(this.connectOpts, {
      timeout: this.connectTimeoutMs,
      noDelay: true,
      clientProperties: { connection_name: `tsnova:${process.pid}` },
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        factor: 2,
        jitter: 0.2,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    })
    this.conn = conn
    // With waitForConnect false the handle arrives before the first attempt (which is deferred with
    // setImmediate), so these listeners, 'error' above all, are in place before anything is emitted.
    void conn.then(
      (c) => this.watch(c),
      (err: unknown) => this.log.error({ err }, 'could not start the broker connection'),
    )
  }

  private watch(conn: RecoveringChannelModel): void {
    conn.on('error', (err: Error) =>
      this.log.debug({ err: errorText(err) }, 'message broker connection error'),
    )
    conn.on('handler-error', (err: Error, event: string) =>
      this.log.error({ err, event }, 'error in a broker connection event handler'),
    )
    conn.on('disconnect', (err: Error) => {
      this.live = undefined
      if (this.closed) return
      if (!this.lost) {
        this.lost = true
        this.log.warn(
          { url: this.display, reason: errorText(err) },
          'lost connection to the message broker; reconnecting',
        )
      }
      this.rotateHost()
    })
    conn.on('connect-failed', (err: Error) => {
      if (this.closed) return
      if (!this.everConnected && !this.warnedUnreachable) {
        this.warnedUnreachable = true
        this.log.warn(
          { url: this.display, reason: errorText(err) },
          'cannot reach the message broker; retrying',
        )
      } else {
        this.log.debug(
          { url: this.display, reason: errorText(err) },
          'message broker connection attempt failed',
        )
      }
      this.rotateHost()
    })
    conn.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
      this.log.debug({ attempt: info.attempt, delayMs: info.delay }, 'broker reconnect scheduled'),
    )
    conn.on('reconnect-failed', (err: Error) =>
      this.log.error({ err: errorText(err) }, 'gave up reconnecting to the message broker'),
    )
    conn.on('blocked', (reason: string) => this.log.warn({ reason }, 'message broker blocked publishing'))
    conn.on('unblocked', () => this.log.info('message broker unblocked publishing'))
    conn.on('connect', () => {
      const host = `${this.connectOpts.hostname}:${this.connectOpts.port}`
      if (this.lost) {
        this.lost = false
        this.log.info({ host, vhost: this.url.vhost }, 'reconnected to the message broker')
      } else {
        this.log.debug({ host, vhost: this.url.vhost }, 'connected to the message broker')
      }
      this.everConnected = true
      this.warnedUnreachable = false
    })
  }

  private rotateHost(): void {
    if (this.url.hosts.length < 2) return
    this.hostIndex = (this.hostIndex + 1) % this.url.hosts.length
    Object.assign(this.connectOpts, connectOptions(this.url, this.url.hosts[this.hostIndex]!))
  }

  /** Runs on every (re)connection, before amqplib reports it connected: rebuild the layout and consumers. */
  private async setup(model: ChannelModel): Promise<void> {
    // amqplib binds its own listeners only after setup; until then an error must not go unheard.
    model.on('error', noop)
    let closedEarly = false
    const onEarlyClose = (): void => {
      closedEarly = true
    }
    model.once('close', onEarlyClose)
    const consume = await model.createChannel()
    const live: Live = { model, consume, pub: undefined, drain: undefined, dead: closedEarly }
    model.off('close', onEarlyClose)
    model.once('close', () => this.markDead(live))
    try {
      await this.build(live)
    } catch (err) {
      if (!live.dead && !this.closed)
        this.log.error({ err }, 'could not set up the broker layout; will retry')
      // The broker refused the layout itself: those waiting for the connection get that reason
      // now rather than "unreachable" at their deadline.
      if (isPermanent(err)) this.failWaiters(err as Error)
      throw err
    }
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.reject(err)
    }
    this.waiters.clear()
  }

  private async build(live: Live): Promise<void> {
    const { consume } = live
    guardChannel(consume, this.log, 'consume')
    consume.on('close', () => {
      // A dying connection closes its channels first and then itself, in the same tick: look again
      // once it has, so only a channel the broker closed on its own forces a reconnect.
      setImmediate(() => {
        if (live.dead || this.closed) return
        this.log.error('broker closed the consumer channel; reconnecting to restore consumers')
        this.recycle(live)
      })
    })
    await consume.prefetch(this.prefetch)
    await this.declare(live, (ch) =>
      ch.assertExchange(this.controlExchange, 'topic', { durable: this.durableQueues, autoDelete: false }),
    )
    if (this.replyName) await this.attachReply(live)
    for (const listener of this.listeners) {
      try {
        await this.attachListener(live, listener)
      } catch (err) {
        if (live.dead) throw err
        this.log.error(
          { err, topic: listener.target.topic },
          'could not re-attach an RPC server after reconnecting',
        )
      }
    }
    await this.pubChannel(live)
    if (live.dead || this.closed) throw new Error('connection closed during setup')
    this.live = live
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve(live)
    }
    this.waiters.clear()
  }

  private markDead(live: Live): void {
    live.dead = true
    if (this.live === live) this.live = undefined
  }

  /** Drop a connection whose channels are no longer trustworthy; recovery builds a fresh one. */
  private recycle(live: Live): void {
    this.markDead(live)
    live.model.close().catch(noop)
  }

  /** The current connection, waiting (up to the deadline) for recovery if there is none. */
  private acquire(deadline: number): Promise<Live> {
    if (this.closed) return Promise.reject(new MessagingUnavailable('The message transport is closed'))
    this.start()
    if (this.live && !this.live.dead) return Promise.resolve(this.live)
    const wait = deadline - Date.now()
    if (wait <= 0) return Promise.reject(this.unavailable())
    return new Promise<Live>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter)
          reject(this.unavailable())
        }, wait),
      }
      this.waiters.add(waiter)
    })
  }

  private unavailable(cause?: unknown): MessagingUnavailable {
    const why = cause === undefined ? '' : `: ${errorText(cause)}`
    return new MessagingUnavailable(
      `The message broker at ${this.display} is unreachable (waited ${this.unavailableAfterMs} ms)${why}`,
    )
  }

  /**
   * Run an operation on a live connection; if the connection dies under it, retry on the recovered
   * one until the deadline. Errors the broker raises for the operation itself are not retried.
   */
  private async onLiveConnection<T>(op: (live: Live) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.unavailableAfterMs
    for (;;) {
      const live = await this.acquire(deadline)
      try {
        return await op(live)
      } catch (err) {
        if (this.closed) throw new MessagingUnavailable('The message transport is closed')
        if (!live.dead || isPermanent(err) || err instanceof MessagingUnavailable) throw err
        if (Date.now() >= deadline) throw this.unavailable(err)
        this.log.debug({ err: errorText(err) }, 'broker operation interrupted by a disconnect; retrying')
      }
    }
  }

  /** Declarations go on a throwaway channel: a refused declaration closes it, not the shared ones. */
  private async declare<T>(live: Live, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await live.model.createChannel()
    guardChannel(ch, this.log, 'declare')
    try {
      return await fn(ch)
    } catch (err) {
      const explained = explainRefusedDeclaration(err, this.durableQueues)
      if (explained instanceof InequivalentDeclaration) this.log.error(explained.message)
      throw explained
    } finally {
      // Not awaited: a close on a connection that is dying may never be answered.
      ch.close().catch(noop)
    }
  }

  // ---------------------------------------------------------------- publishing

  private pubChannel(live: Live): Promise<ConfirmChannel> {
    if (live.pub) return live.pub
    const opening = (async () => {
      const ch = await live.model.createConfirmChannel()
      guardChannel(ch, this.log, 'publish')
      ch.on('return', (msg: AmqpMessage) => {
        const { exchange, routingKey: key } = msg.fields
        if (exchange) this.onRequestReturned(msg.content, key)
        this.log.warn(
          { exchange: exchange || '(default)', routingKey: key },
          exchange ? 'no queue bound for routing key; message dropped' : 'reply queue is gone; reply dropped',
        )
      })
      ch.on('close', () => {
        if (live.pub === opening) live.pub = undefined
      })
      return ch
    })()
    live.pub = opening
    opening.catch(() => {
      if (live.pub === opening) live.pub = undefined
    })
    return opening
  }

  private async publish(
    exchange: string,
    key: string,
    body: Buffer,
    props: Options.Publish,
    prepare?: (ch: ConfirmChannel) => Promise<unknown>,
  ): Promise<void> {
    const deadline = Date.now() + this.unavailableAfterMs
    for (;;) {
      const live = await this.acquire(deadline)
      try {
        const ch = await this.pubChannel(live)
        if (prepare) await prepare(ch)
        await this.publishOn(live, ch, exchange, key, body, props)
        return
      } catch (err) {
        if (this.closed) throw new MessagingUnavailable('The message transport is closed')
        if (err instanceof MessagingUnavailable || isPermanent(err)) throw err
        if (Date.now() >= deadline) throw this.unavailable(err)
        // The channel or connection went away under the publish: wait for recovery and try again
        // (a request sent twice is dropped by the server's duplicate check).
        this.log.debug({ err: errorText(err), exchange, routingKey: key }, 'publish interrupted; retrying')
        if (!live.dead) await sleep(50)
      }
    }
  }

  private async publishOn(
    live: Live,
    ch: ConfirmChannel,
    exchange: string,
    key: string,
    body: Buffer,
    props: Options.Publish,
  ): Promise<void> {
    while (live.drain) await live.drain
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new MessagingUnavailable(
              `The message broker did not confirm a publish within ${this.confirmTimeoutMs} ms`,
            ),
          ),
        this.confirmTimeoutMs,
      )
      let flowing: boolean
      try {
        flowing = ch.publish(exchange, key, body, props, (err: unknown) => {
          clearTimeout(timer)
          if (!err) resolve()
          else if (err instanceof Error && err.message === 'message nacked') {
            reject(new MessagingUnavailable('The message broker refused the message (nack)'))
          } else reject(err)
        })
      } catch (err) {
        clearTimeout(timer)
        reject(err)
        return
      }
      if (!flowing && !live.drain) {
        live.drain = new Promise<void>((done) => {
          const finish = (): void => {
            ch.off('drain', finish)
            ch.off('close', finish)
            live.drain = undefined
            done()
          }
          ch.on('drain', finish)
          ch.on('close', finish)
        })
      }
    })
  }

  // ---------------------------------------------------------------- servers

  private attachListener(live: Live, listener: Listener): Promise<string[]> {
    const existing = listener.attached.get(live)
    if (existing) return existing
    const attaching = this.doAttachListener(live, listener)
    listener.attached.set(live, attaching)
    attaching.catch(() => {
      if (listener.attached.get(live) === attaching) listener.attached.delete(live)
    })
    return attaching
  }

  private async doAttachListener(live: Live, listener: Listener): Promise<string[]> {
    const { topic } = listener.target
    const queues = [topic]
    if (listener.target.server) queues.push(routingKey(listener.target))
    const fanout = fanoutExchange(topic)
    await this.declare(live, async (ch) => {
      for (const q of queues) {
        await ch.assertQueue(q, { durable: this.durableQueues, autoDelete: false })
        await ch.bindQueue(q, this.controlExchange, q)
      }
      await ch.assertExchange(fanout, 'fanout', { durable: false, autoDelete: true })
      await ch.assertQueue(listener.fanoutQueue, {
        durable: false,
        autoDelete: false,
        arguments: { 'x-expires': TRANSIENT_QUEUE_TTL_MS },
      })
      await ch.bindQueue(listener.fanoutQueue, fanout, topic)
    })
    const tags: string[] = []
    for (const q of [...queues, listener.fanoutQueue]) {
      const { consumerTag } = await live.consume.consume(
        q,
        (msg) => this.onDelivery(live, listener, q, msg),
        {
          noAck: false,
        },
      )
      tags.push(consumerTag)
    }
    if (listener.closed) for (const tag of tags) await live.consume.cancel(tag).catch(noop)
    return tags
  }

  private onDelivery(live: Live, listener: Listener, queue: string, msg: ConsumeMessage | null): void {
    if (msg === null) {
      if (listener.closed || live.dead || this.closed) return
      this.log.warn({ queue }, 'the broker cancelled a consumer (queue deleted?); reconnecting to restore it')
      this.recycle(live)
      return
    }
    if (listener.closed) {
      // Cancelled while this was in flight: hand it back for another server.
      safely(() => live.consume.nack(msg, false, true))
      return
    }
    void this.handle(live, listener, queue, msg)
  }

  private async handle(live: Live, listener: Listener, queue: string, msg: ConsumeMessage): Promise<void> {
    let message: Message | undefined
    try {
      message = unwrapEnvelope(msg.content.toString('utf8'))
    } catch (err) {
      this.log.error({ err, queue }, 'undecodable message dropped')
    }
    if (message) {
      try {
        await listener.handler(message)
      } catch (err) {
        this.log.error({ err, queue, method: message.method }, 'message handler failed; message acknowledged')
      }
    }
    // Acknowledge only now, on the channel it came from. If that channel is gone, the broker has
    // already put the message back for another consumer.
    if (live.dead) return
    const acked = safely(() => live.consume.ack(msg))
    if (!acked) this.log.debug({ queue }, 'could not acknowledge (channel gone); the broker will redeliver')
  }

  private async unlisten(listener: Listener): Promise<void> {
    if (listener.closed) return
    listener.closed = true
    this.listeners.delete(listener)
    const live = this.live
    if (live && !live.dead) await this.detachListener(live, listener)
  }

  private async detachListener(live: Live, listener: Listener): Promise<void> {
    listener.closed = true
    const tags = await listener.attached.get(live)?.catch(() => undefined)
    for (const tag of tags ?? []) await live.consume.cancel(tag).catch(noop)
    await this.declare(live, (ch) => ch.deleteQueue(listener.fanoutQueue)).catch((err: unknown) =>
      this.log.debug({ err: errorText(err), queue: listener.fanoutQueue }, 'could not delete fanout queue'),
    )
  }

  // ---------------------------------------------------------------- replies

  private async declareReplyQueue(): Promise<string> {
    const name = `reply_${hex()}`
    this.replyName = name
    try {
      await this.onLiveConnection((live) => this.attachReply(live))
    } catch (err) {
      if (this.replyName === name) this.replyName = undefined
      throw err
    }
    return name
  }

  private attachReply(live: Live): Promise<void> {
    const existing = this.replyAttached.get(live)
    if (existing) return existing
    const name = this.replyName!
    const attaching = (async () => {
      const lost = this.replyDeclared && !(await this.queueExists(live, name))
      await this.declare(live, (ch) =>
        ch.assertQueue(name, {
          durable: false,
          autoDelete: false,
          arguments: { 'x-expires': TRANSIENT_QUEUE_TTL_MS },
        }),
      )
      // Acknowledged (right after dispatch) rather than noAck: a reply the broker pushed into a socket that
      // then died is redelivered instead of lost.
      await live.consume.consume(name, (msg) => this.onReply(live, msg), { noAck: false })
      this.replyDeclared = true
      if (lost) this.onReplyQueueLost(name)
    })()
    this.replyAttached.set(live, attaching)
    attaching.catch(() => {
      if (this.replyAttached.get(live) === attaching) this.replyAttached.delete(live)
    })
    return attaching
  }

  private async queueExists(live: Live, name: string): Promise<boolean> {
    try {
      await this.declare(live, (ch) => ch.checkQueue(name))
      return true
    } catch (err) {
      if (hasCode(err, 404)) return false
      throw err
    }
  }

  /**
   * The broker lost the reply queue (it restarted): replies sent to it before it was declared
   * again are gone, and so may be the requests that would have caused them.
   */
  private onReplyQueueLost(name: string): void {
    this.log.warn({ queue: name }, 'the broker lost the reply queue (restarted?); replies in flight are lost')
    this.notifyReplyEvents((events) => events.onLost?.())
  }

  /** A request the broker could not route: if it is a call, its caller need not wait for a reply. */
  private onRequestReturned(body: Buffer, routingKey: string): void {
    let request: Message
    try {
      request = unwrapEnvelope(body.toString('utf8'))
    } catch {
      return
    }
    if (typeof request._msg_id !== 'string') return
    this.notifyReplyEvents((events) => events.onUndeliverable?.(request, routingKey))
  }

  private notifyReplyEvents(notify: (events: ReplyEvents) => void): void {
    for (const events of this.replyEvents) {
      try {
        notify(events)
      } catch (err) {
        this.log.error({ err }, 'reply event handler failed')
      }
    }
  }

  private onReply(live: Live, msg: ConsumeMessage | null): void {
    if (msg === null) {
      if (live.dead || this.closed) return
      this.log.warn(
        { queue: this.replyName },
        'the broker cancelled the reply consumer; reconnecting to restore it',
      )
      this.recycle(live)
      return
    }
    let message: Message | undefined
    try {
      message = unwrapEnvelope(msg.content.toString('utf8'))
    } catch (err) {
      this.log.error({ err, queue: this.replyName }, 'undecodable reply dropped')
    }
    if (message) {
      for (const handler of this.replyHandlers) {
        try {
          handler(message)
        } catch (err) {
          this.log.error({ err }, 'reply handler failed')
        }
      }
    }
    if (!live.dead) safely(() => live.consume.ack(msg))
  }
}

function guardChannel(ch: Channel, log: Logger, role: string): void {
  ch.on('error', (err: Error) => log.debug({ err: errorText(err), channel: role }, 'broker closed a channel'))
  ch.on('handler-error', (err: Error, event: string) =>
    log.error({ err, event, channel: role }, 'error in a channel event handler'),
  )
}

function safely(fn: () => void): boolean {
  try {
    fn()
    return true
  } catch {
    return false
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
