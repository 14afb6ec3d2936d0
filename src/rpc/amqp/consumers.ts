import type { ConsumeMessage } from 'amqplib'
import type { Logger } from '../../shared/logger.js'
import type { Message, MessageHandler, Subscription, Target } from '../transport.js'
import { unwrapEnvelope } from '../wire.js'
import type { BrokerConnection, Live } from './connection.js'
import { errorText, noop, safely } from './support.js'
import { fanoutQueueName, type Topology } from './topology.js'

interface Listener {
  readonly target: Target
  readonly handler: MessageHandler
  readonly fanoutQueue: string
  closed: boolean
  /** The consumer tags on each connection this listener is attached to. */
  readonly attached: WeakMap<Live, Promise<string[]>>
}

/**
 * The servers' consumers. A request is acknowledged only once its handler has settled, so a server
 * that dies mid-request leaves it for another (at-least-once; Rpc drops duplicates by `_unique_id`).
 * A handler that rejects has still handled the message: it is logged and acknowledged, never
 * requeued (see MessageHandler).
 */
export class ServerConsumers {
  private readonly listeners = new Set<Listener>()

  constructor(
    private readonly connection: BrokerConnection,
    private readonly topology: Topology,
    private readonly log: Logger,
  ) {}

  async listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    const listener: Listener = {
      target,
      handler,
      fanoutQueue: fanoutQueueName(target.topic),
      closed: false,
      attached: new WeakMap(),
    }
    this.listeners.add(listener)
    try {
      await this.connection.onLiveConnection((live) => this.attach(live, listener))
    } catch (err) {
      this.listeners.delete(listener)
      throw err
    }
    return { close: () => this.unlisten(listener) }
  }

  /** After a reconnect: every server consumes again. One that cannot is logged, not fatal, unless the connection died. */
  async reattach(live: Live): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await this.attach(live, listener)
      } catch (err) {
        if (live.dead) throw err
        this.log.error(
          { err, topic: listener.target.topic },
          'could not re-attach an RPC server after reconnecting',
        )
      }
    }
  }

  /** On close: cancel every consumer and delete the fanout queues, which only this process uses. */
  async detachAll(live: Live): Promise<void> {
    for (const listener of this.listeners) await this.detach(live, listener)
  }

  forget(): void {
    this.listeners.clear()
  }

  private attach(live: Live, listener: Listener): Promise<string[]> {
    const existing = listener.attached.get(live)
    if (existing) return existing
    const attaching = this.doAttach(live, listener)
    listener.attached.set(live, attaching)
    attaching.catch(() => {
      if (listener.attached.get(live) === attaching) listener.attached.delete(live)
    })
    return attaching
  }

  private async doAttach(live: Live, listener: Listener): Promise<string[]> {
    const queues = await this.topology.declareServerQueues(live.model, listener.target, listener.fanoutQueue)
    const tags: string[] = []
    for (const q of queues) {
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
      if (listener.closed || live.dead || this.connection.closed) return
      this.log.warn({ queue }, 'the broker cancelled a consumer (queue deleted?); reconnecting to restore it')
      this.connection.recycle(live)
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
    const live = this.connection.current
    if (live) await this.detach(live, listener)
  }

  private async detach(live: Live, listener: Listener): Promise<void> {
    listener.closed = true
    const tags = await listener.attached.get(live)?.catch(() => undefined)
    for (const tag of tags ?? []) await live.consume.cancel(tag).catch(noop)
    await this.topology
      .deleteQueue(live.model, listener.fanoutQueue)
      .catch((err: unknown) =>
        this.log.debug({ err: errorText(err), queue: listener.fanoutQueue }, 'could not delete fanout queue'),
      )
  }
}
