import { type Channel, type ChannelModel, connect, type Options, type RecoveringChannelModel } from 'amqplib'
import { MessagingUnavailable } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { connectOptions, parseRabbitUrl, type RabbitUrl } from './rabbit-url.js'
import { errorText, guardChannel, isPermanent, noop } from './support.js'
import { type AmqpSslOptions, explainTlsFailure, type TlsSocketOptions, tlsSocketOptions } from './tls.js'

/** One established connection: everything here dies with it and is rebuilt by `setup`. */
export interface Live {
  readonly model: ChannelModel
  /** Consumers (servers and the reply queue); prefetch applies per consumer. */
  readonly consume: Channel
  dead: boolean
}

interface Waiter {
  resolve(live: Live): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

export interface BrokerConnectionOptions {
  readonly url: RabbitUrl
  /** The transport URL with its passwords redacted, for logs and errors. */
  readonly display: string
  readonly log: Logger
  /** TLS socket options (`tlsSocketOptions`), or undefined for plain TCP. */
  readonly tls: TlsSocketOptions | undefined
  readonly unavailableAfterMs: number
  readonly prefetch: number
  readonly connectTimeoutMs: number
  readonly heartbeatS: number
  /**
   * Rebuild on a fresh connection what the transport had on the old one (layout, consumers, the
   * publish channel). Runs before the connection is handed to anyone; a rejection fails the attempt.
   */
  readonly restore: (live: Live) => Promise<void>
}

/**
 * Open one plain connection to the broker (no recovery) and close it again: `tsnova-manage`'s
 * broker check. Resolves with the broker's product and version; rejects with MessagingUnavailable.
 */
export async function checkBroker(
  url: string,
  timeoutMs = 5000,
  ssl?: AmqpSslOptions,
): Promise<{ product: string; version: string }> {
  const parsed = parseRabbitUrl(url, { tls: ssl?.enabled })
  const tls = tlsSocketOptions(parsed.protocol === 'amqps', ssl, noop)
  const errors: string[] = []
  for (const host of parsed.hosts) {
    try {
      const model = await connect(connectOptions(parsed, host), { ...tls, timeout: timeoutMs, noDelay: true })
      model.on('error', () => {})
      const props = model.connection.serverProperties
      await model.close().catch(() => {})
      return { product: String(props.product ?? 'unknown'), version: String(props.version ?? 'unknown') }
    } catch (err) {
      errors.push(`${host.hostname}:${host.port}: ${(tls && explainTlsFailure(err)) ?? errorText(err)}`)
    }
  }
  throw new MessagingUnavailable(`Cannot reach the message broker (${errors.join('; ')})`)
}

/**
 * One connection with amqplib's recovery: every (re)connect runs `restore` before the connection is
 * used, and whoever needs a connection while there is none waits for one, up to `unavailableAfterMs`.
 */
export class BrokerConnection {
  private readonly options: BrokerConnectionOptions
  private readonly log: Logger
  /** Mutable: amqplib re-reads it on every attempt, so rotating hosts is rewriting it. */
  private readonly connectOpts: Options.Connect
  private hostIndex = 0

  private conn: Promise<RecoveringChannelModel> | undefined
  private live: Live | undefined
  private readonly waiters = new Set<Waiter>()
  private closing = false
  private lost = false
  private everConnected = false
  private warnedUnreachable = false
  /** Why the latest attempt to connect failed: what an "unreachable" error reports. */
  private lastFailure: string | undefined

  constructor(options: BrokerConnectionOptions) {
    this.options = options
    this.log = options.log
    this.connectOpts = connectOptions(options.url, options.url.hosts[0]!, options.heartbeatS)
  }

  /** Set once close began: nothing waits for or reopens a connection any more. */
  get closed(): boolean {
    return this.closing
  }

  /** How long send/reply/listen wait for a (re)connection before failing with MessagingUnavailable. */
  get unavailableAfterMs(): number {
    return this.options.unavailableAfterMs
  }

  /** The connection in use, if there is one and it is not known to be dead. */
  get current(): Live | undefined {
    return this.live && !this.live.dead ? this.live : undefined
  }

  /** The current connection, waiting (up to the deadline) for recovery if there is none. */
  acquire(deadline: number): Promise<Live> {
    if (this.closing) return Promise.reject(new MessagingUnavailable('The message transport is closed'))
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

  /**
   * Run an operation on a live connection; if the connection dies under it, retry on the recovered
   * one until the deadline. Errors the broker raises for the operation itself are not retried.
   */
  async onLiveConnection<T>(op: (live: Live) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.unavailableAfterMs
    for (;;) {
      const live = await this.acquire(deadline)
      try {
        return await op(live)
      } catch (err) {
        if (this.closing) throw new MessagingUnavailable('The message transport is closed')
        if (!live.dead || isPermanent(err) || err instanceof MessagingUnavailable) throw err
        if (Date.now() >= deadline) throw this.unavailable(err)
        this.log.debug({ err: errorText(err) }, 'broker operation interrupted by a disconnect; retrying')
      }
    }
  }

  unavailable(cause?: unknown): MessagingUnavailable {
    const reason = cause === undefined ? this.lastFailure : errorText(cause)
    const why = reason === undefined ? '' : `: ${reason}`
    return new MessagingUnavailable(
      `The message broker at ${this.options.display} is unreachable (waited ${this.options.unavailableAfterMs} ms)${why}`,
    )
  }

  /** Drop a connection whose channels are no longer trustworthy; recovery builds a fresh one. */
  recycle(live: Live): void {
    this.markDead(live)
    live.model.close().catch(noop)
  }

  /** Refuse new work and fail whoever waits for a connection; returns the connection to tidy up on. */
  beginClose(): Live | undefined {
    this.closing = true
    this.failWaiters(new MessagingUnavailable('The message transport is closed'))
    return this.current
  }

  async end(): Promise<void> {
    this.live = undefined
    if (this.conn) {
      const conn = await this.conn.catch(() => undefined)
      await conn?.close().catch((err: unknown) => this.log.debug({ err }, 'error closing broker connection'))
    }
  }

  private start(): void {
    if (this.conn || this.closing) return
    const conn = connect(this.connectOpts, {
      ...this.options.tls,
      timeout: this.options.connectTimeoutMs,
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
    const { display } = this.options
    conn.on('error', (err: Error) =>
      this.log.debug({ err: errorText(err) }, 'message broker connection error'),
    )
    conn.on('handler-error', (err: Error, event: string) =>
      this.log.error({ err, event }, 'error in a broker connection event handler'),
    )
    conn.on('disconnect', (err: Error) => {
      this.live = undefined
      if (this.closing) return
      if (!this.lost) {
        this.lost = true
        this.log.warn(
          { url: display, reason: errorText(err) },
          'lost connection to the message broker; reconnecting',
        )
      }
      this.rotateHost()
    })
    conn.on('connect-failed', (err: Error) => {
      if (this.closing) return
      const host = `${this.connectOpts.hostname}:${this.connectOpts.port}`
      this.lastFailure = `${host}: ${(this.options.tls && explainTlsFailure(err)) ?? errorText(err)}`
      if (!this.everConnected && !this.warnedUnreachable) {
        this.warnedUnreachable = true
        this.log.warn({ url: display, reason: this.lastFailure }, 'cannot reach the message broker; retrying')
      } else {
        this.log.debug({ url: display, reason: this.lastFailure }, 'message broker connection attempt failed')
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
      const { vhost } = this.options.url
      if (this.lost) {
        this.lost = false
        this.log.info({ host, vhost }, 'reconnected to the message broker')
      } else {
        this.log.debug({ host, vhost }, 'connected to the message broker')
      }
      this.everConnected = true
      this.warnedUnreachable = false
      this.lastFailure = undefined
    })
  }

  private rotateHost(): void {
    const { url } = this.options
    if (url.hosts.length < 2) return
    this.hostIndex = (this.hostIndex + 1) % url.hosts.length
    Object.assign(this.connectOpts, connectOptions(url, url.hosts[this.hostIndex]!))
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
    const live: Live = { model, consume, dead: closedEarly }
    model.off('close', onEarlyClose)
    model.once('close', () => this.markDead(live))
    try {
      await this.build(live)
    } catch (err) {
      if (!live.dead && !this.closing)
        this.log.error({ err }, 'could not set up the broker layout; will retry')
      // The broker refused the layout itself: those waiting for the connection get that reason
      // now rather than "unreachable" at their deadline.
      if (isPermanent(err)) this.failWaiters(err as Error)
      throw err
    }
  }

  private async build(live: Live): Promise<void> {
    const { consume } = live
    guardChannel(consume, this.log, 'consume')
    consume.on('close', () => {
      // A dying connection closes its channels first and then itself, in the same tick: look again
      // once it has, so only a channel the broker closed on its own forces a reconnect.
      setImmediate(() => {
        if (live.dead || this.closing) return
        this.log.error('broker closed the consumer channel; reconnecting to restore consumers')
        this.recycle(live)
      })
    })
    await consume.prefetch(this.options.prefetch)
    await this.options.restore(live)
    if (live.dead || this.closing) throw new Error('connection closed during setup')
    this.live = live
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve(live)
    }
    this.waiters.clear()
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.reject(err)
    }
    this.waiters.clear()
  }

  private markDead(live: Live): void {
    live.dead = true
    if (this.live === live) this.live = undefined
  }
}
