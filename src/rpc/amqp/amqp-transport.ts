import type { Logger } from '../../shared/logger.js'
import type {
  Message,
  MessageHandler,
  ReplyEvents,
  SendOptions,
  Subscription,
  Target,
  Transport,
} from '../transport.js'
import { BrokerConnection, type Live } from './connection.js'
import { ServerConsumers } from './consumers.js'
import { Publisher } from './publisher.js'
import { parseRabbitUrl, redactTransportUrl } from './rabbit-url.js'
import { ReplyConsumer } from './replies.js'
import { errorText, withTimeout } from './support.js'
import { type AmqpSslOptions, tlsSocketOptions } from './tls.js'
import { Topology } from './topology.js'

export { checkBroker } from './connection.js'
export { type BrokerHost, parseRabbitUrl, type RabbitUrl, redactTransportUrl } from './rabbit-url.js'
export type { AmqpSslOptions } from './tls.js'
export { InequivalentDeclaration, TRANSIENT_QUEUE_TTL_MS } from './topology.js'

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
  /** `[oslo_messaging_rabbit] ssl*`: TLS to the broker (an `amqps://` URL turns it on too). */
  readonly ssl?: AmqpSslOptions
}

/**
 * oslo.messaging's RabbitMQ layout over AMQP 0-9-1 (see the oslo wire anchor): requests go to
 * the topic exchange `controlExchange` with routing key `topic` / `topic.server`, fanouts to
 * `<topic>_fanout`, replies to the default exchange keyed by the caller's `reply_<uuid>` queue.
 *
 * One connection with amqplib's recovery: every (re)connect re-declares the layout and re-attaches
 * every consumer. Requests are acknowledged only once their handler has settled, so a server that
 * dies mid-request leaves it for another (at-least-once; Rpc drops duplicates by `_unique_id`).
 *
 * The parts: BrokerConnection (connect, recovery, waiting for a connection), Topology (what is
 * declared, and how), ServerConsumers (listen, acknowledge after handling), ReplyConsumer (the
 * reply queue) and Publisher (send and reply, with confirms).
 *
 * Throws from the constructor, before any connection attempt, for a URL or TLS setting it cannot honour.
 */
export class AmqpTransport implements Transport {
  private readonly log: Logger
  private readonly connection: BrokerConnection
  private readonly topology: Topology
  private readonly publisher: Publisher
  private readonly consumers: ServerConsumers
  private readonly replies: ReplyConsumer

  constructor(url: string, options: AmqpTransportOptions) {
    this.log = options.log.child({ transport: 'amqp' })
    const parsed = parseRabbitUrl(url, { tls: options.ssl?.enabled })
    const tls = tlsSocketOptions(parsed.protocol === 'amqps', options.ssl, (warning) =>
      this.log.warn(warning),
    )
    this.connection = new BrokerConnection({
      url: parsed,
      display: redactTransportUrl(url),
      log: this.log,
      tls,
      unavailableAfterMs: options.unavailableAfterMs ?? 5000,
      prefetch: options.prefetch ?? 64,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      heartbeatS: options.heartbeatS ?? 30,
      restore: (live) => this.restore(live),
    })
    this.topology = new Topology(options.controlExchange, options.durableQueues ?? false, this.log)
    this.replies = new ReplyConsumer(this.connection, this.topology, this.log)
    this.consumers = new ServerConsumers(this.connection, this.topology, this.log)
    this.publisher = new Publisher(
      this.connection,
      this.topology,
      this.log,
      options.confirmTimeoutMs ?? 15_000,
      (body, key) => this.replies.onRequestReturned(body, key),
    )
  }

  send(target: Target, message: Message, options: SendOptions = {}): Promise<void> {
    return this.publisher.send(target, message, options)
  }

  reply(replyQueue: string, message: Message): Promise<void> {
    return this.publisher.reply(replyQueue, message)
  }

  listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    return this.consumers.listen(target, handler)
  }

  replyQueue(handler: (message: Message) => void, events?: ReplyEvents): Promise<string> {
    return this.replies.register(handler, events)
  }

  async close(): Promise<void> {
    if (this.connection.closed) return
    const live = this.connection.beginClose()
    if (live) {
      // Best effort, bounded: drop what only this process uses. Unacked requests return to their queues
      // when the connection closes.
      const cleanup = async (): Promise<void> => {
        await this.consumers.detachAll(live)
        await this.replies.delete(live)
      }
      await withTimeout(cleanup(), 2000).catch((err: unknown) =>
        this.log.debug({ err: errorText(err) }, 'could not clean up queues on close'),
      )
    }
    this.consumers.forget()
    await this.connection.end()
  }

  /** On every (re)connection, before anyone uses it: the layout, then every consumer, then the publish channel. */
  private async restore(live: Live): Promise<void> {
    await this.topology.declareControlExchange(live.model)
    await this.replies.reattach(live)
    await this.consumers.reattach(live)
    await this.publisher.channel(live)
  }
}
