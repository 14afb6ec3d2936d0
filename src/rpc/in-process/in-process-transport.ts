import { randomUUID } from 'node:crypto'
import type { Logger } from '../../shared/logger.js'
import {
  fanoutExchange,
  type Message,
  type MessageHandler,
  routingKey,
  type SendOptions,
  type Subscription,
  type Target,
  type Transport,
} from '../transport.js'

/** A handler attached to queues, with the logger of the transport (the "process") it belongs to. */
interface Consumer {
  readonly handler: MessageHandler
  readonly log: Logger | undefined
}

/**
 * A queue with competing consumers, round-robin, like a RabbitMQ queue. Messages wait while no
 * consumer is attached. A message is done with once its handler settles: one that rejects is
 * logged and dropped, not requeued, as over AMQP (see MessageHandler).
 */
class Queue {
  readonly consumers: Consumer[] = []
  readonly backlog: string[] = []
  private next = 0

  constructor(
    readonly name: string,
    private readonly hub: MessageHub,
  ) {}

  push(body: string): void {
    if (this.consumers.length === 0) {
      this.backlog.push(body)
      return
    }
    const consumer = this.consumers[this.next++ % this.consumers.length]!
    this.hub.track(this.deliver(consumer, body))
  }

  attach(consumer: Consumer): void {
    this.consumers.push(consumer)
    for (const body of this.backlog.splice(0)) this.push(body)
  }

  detach(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer)
    if (i >= 0) this.consumers.splice(i, 1)
  }

  private async deliver(consumer: Consumer, body: string): Promise<void> {
    // Asynchronous delivery, as over a wire: the sender never runs the handler on its own stack.
    await new Promise<void>((resolve) => setImmediate(resolve))
    let message: Message | undefined
    try {
      message = JSON.parse(body) as Message
      await consumer.handler(message)
    } catch (err) {
      // The consumer is alive and has had its turn: requeueing would hand the same failure back
      // forever. Only a consumer that dies before settling gets its message redelivered.
      const log = consumer.log ?? this.hub.log
      log?.error(
        { err, queue: this.name, method: message?.method },
        'message handler failed; message acknowledged',
      )
    }
  }
}

/**
 * One bus: the queues and fanout bindings behind one `memory://` URL. Several hubs give several
 * independent buses in one process (one per cell), with no global state.
 */
export class MessageHub {
  readonly queues = new Map<string, Queue>()
  readonly fanouts = new Map<string, Set<Queue>>()
  private readonly inflight = new Set<Promise<void>>()
  log: Logger | undefined

  queue(name: string): Queue {
    let q = this.queues.get(name)
    if (!q) {
      q = new Queue(name, this)
      this.queues.set(name, q)
    }
    return q
  }

  track(p: Promise<void>): void {
    this.inflight.add(p)
    void p.finally(() => this.inflight.delete(p))
  }

  /** Resolves once every delivered message has been handled (tests await casts with it). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight])
  }
}

const hubs = new Map<string, MessageHub>()

/** The hub for a URL; `memory://a` and `memory://b` are separate buses. */
export function hubFor(url: string): MessageHub {
  let hub = hubs.get(url)
  if (!hub) {
    hub = new MessageHub()
    hubs.set(url, hub)
  }
  return hub
}

/** Drop a bus (tests start each cloud on a clean one). */
export function forgetHub(url: string): void {
  hubs.delete(url)
}

export class InProcessTransport implements Transport {
  private replyQ: string | undefined

  constructor(
    readonly hub: MessageHub,
    private readonly log?: Logger,
  ) {
    hub.log ??= log
  }

  async send(target: Target, message: Message, _options?: SendOptions): Promise<void> {
    // Serialise as the wire would: nothing but JSON crosses, so both transports behave alike.
    const body = JSON.stringify(message)
    if (target.fanout) {
      for (const q of this.hub.fanouts.get(fanoutExchange(target.topic)) ?? []) q.push(body)
      return
    }
    const name = routingKey(target)
    const q = this.hub.queues.get(name)
    // Like a topic exchange with no binding for the key, a message to an unknown server is dropped.
    if (!q) {
      this.hub.log?.warn({ routingKey: name }, 'no queue bound for routing key; message dropped')
      return
    }
    q.push(body)
  }

  async reply(replyQueue: string, message: Message): Promise<void> {
    this.hub.queues.get(replyQueue)?.push(JSON.stringify(message))
  }

  async listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    const queues = [this.hub.queue(target.topic)]
    if (target.server) queues.push(this.hub.queue(routingKey(target)))
    const fanoutName = `${fanoutExchange(target.topic)}_${randomUUID().replaceAll('-', '')}`
    const fanoutQ = this.hub.queue(fanoutName)
    queues.push(fanoutQ)
    const exchange = fanoutExchange(target.topic)
    let bound = this.hub.fanouts.get(exchange)
    if (!bound) {
      bound = new Set()
      this.hub.fanouts.set(exchange, bound)
    }
    bound.add(fanoutQ)
    const consumer: Consumer = { handler, log: this.log }
    for (const q of queues) q.attach(consumer)
    return {
      close: async () => {
        for (const q of queues) q.detach(consumer)
        bound.delete(fanoutQ)
        this.hub.queues.delete(fanoutName)
      },
    }
  }

  async replyQueue(handler: (message: Message) => void): Promise<string> {
    if (!this.replyQ) {
      this.replyQ = `reply_${randomUUID().replaceAll('-', '')}`
      this.hub.queue(this.replyQ).attach({ handler: async (m) => handler(m), log: this.log })
    }
    return this.replyQ
  }

  async close(): Promise<void> {
    if (this.replyQ) this.hub.queues.delete(this.replyQ)
  }
}
