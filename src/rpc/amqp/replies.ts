import type { ConsumeMessage } from 'amqplib'
import type { Logger } from '../../shared/logger.js'
import type { Message, ReplyEvents } from '../transport.js'
import { unwrapEnvelope } from '../wire.js'
import type { BrokerConnection, Live } from './connection.js'
import { safely } from './support.js'
import { replyQueueName, type Topology } from './topology.js'

/**
 * This process's `reply_<uuid>` queue, declared on first use and consumed on every connection,
 * and the news about replies that will never come (the queue lost, a request returned).
 */
export class ReplyConsumer {
  private name: string | undefined
  private ready: Promise<string> | undefined
  private readonly attached = new WeakMap<Live, Promise<void>>()
  private readonly handlers = new Set<(message: Message) => void>()
  private readonly events = new Set<ReplyEvents>()
  /** Set once the reply queue was declared: a later connection that finds it gone lost its replies. */
  private declared = false

  constructor(
    private readonly connection: BrokerConnection,
    private readonly topology: Topology,
    private readonly log: Logger,
  ) {}

  /** The reply queue's name once it is declared; every reply arriving on it goes to handler. */
  register(handler: (message: Message) => void, events?: ReplyEvents): Promise<string> {
    this.handlers.add(handler)
    if (events) this.events.add(events)
    this.ready ??= this.declare().catch((err: unknown) => {
      this.ready = undefined
      throw err
    })
    return this.ready
  }

  /** After a reconnect: consume the reply queue again, if there is one. */
  async reattach(live: Live): Promise<void> {
    if (this.name) await this.attach(live)
  }

  /** On close: the reply queue is this process's alone. */
  async delete(live: Live): Promise<void> {
    if (this.name) await this.topology.deleteQueue(live.model, this.name)
  }

  /** A request the broker could not route: if it is a call, its caller need not wait for a reply. */
  onRequestReturned(body: Buffer, routingKey: string): void {
    let request: Message
    try {
      request = unwrapEnvelope(body.toString('utf8'))
    } catch {
      return
    }
    if (typeof request._msg_id !== 'string') return
    this.notify((events) => events.onUndeliverable?.(request, routingKey))
  }

  private async declare(): Promise<string> {
    const name = replyQueueName()
    this.name = name
    try {
      await this.connection.onLiveConnection((live) => this.attach(live))
    } catch (err) {
      if (this.name === name) this.name = undefined
      throw err
    }
    return name
  }

  private attach(live: Live): Promise<void> {
    const existing = this.attached.get(live)
    if (existing) return existing
    const name = this.name!
    const attaching = (async () => {
      const lost = this.declared && !(await this.topology.queueExists(live.model, name))
      await this.topology.declareReplyQueue(live.model, name)
      // Acknowledged (right after dispatch) rather than noAck: a reply the broker pushed into a socket that
      // then died is redelivered instead of lost.
      await live.consume.consume(name, (msg) => this.onReply(live, msg), { noAck: false })
      this.declared = true
      if (lost) this.onLost(name)
    })()
    this.attached.set(live, attaching)
    attaching.catch(() => {
      if (this.attached.get(live) === attaching) this.attached.delete(live)
    })
    return attaching
  }

  /**
   * The broker lost the reply queue (it restarted): replies sent to it before it was declared
   * again are gone, and so may be the requests that would have caused them.
   */
  private onLost(name: string): void {
    this.log.warn({ queue: name }, 'the broker lost the reply queue (restarted?); replies in flight are lost')
    this.notify((events) => events.onLost?.())
  }

  private notify(notify: (events: ReplyEvents) => void): void {
    for (const events of this.events) {
      try {
        notify(events)
      } catch (err) {
        this.log.error({ err }, 'reply event handler failed')
      }
    }
  }

  private onReply(live: Live, msg: ConsumeMessage | null): void {
    if (msg === null) {
      if (live.dead || this.connection.closed) return
      this.log.warn(
        { queue: this.name },
        'the broker cancelled the reply consumer; reconnecting to restore it',
      )
      this.connection.recycle(live)
      return
    }
    let message: Message | undefined
    try {
      message = unwrapEnvelope(msg.content.toString('utf8'))
    } catch (err) {
      this.log.error({ err, queue: this.name }, 'undecodable reply dropped')
    }
    if (message) {
      for (const handler of this.handlers) {
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
