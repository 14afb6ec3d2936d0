import type { Channel, ChannelModel, Options } from 'amqplib'
import type { Logger } from '../../shared/logger.js'
import { fanoutExchange, routingKey, type Target } from '../transport.js'
import { errorText, guardChannel, hasCode, hex, noop } from './support.js'

/** `rabbit_transient_queues_ttl`: reply and fanout queues vanish 30 minutes after their last consumer. */
export const TRANSIENT_QUEUE_TTL_MS = 1_800_000

/** How every queue only one process uses (its reply queue, a server's fanout queue) is declared. */
function transientQueue(): Options.AssertQueue {
  return { durable: false, autoDelete: false, arguments: { 'x-expires': TRANSIENT_QUEUE_TTL_MS } }
}

/** A server's own fanout queue: `<topic>_fanout_<uuid>`, as oslo names it. */
export function fanoutQueueName(topic: string): string {
  return `${fanoutExchange(topic)}_${hex()}`
}

/** A process's reply queue: `reply_<uuid>`. */
export function replyQueueName(): string {
  return `reply_${hex()}`
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

/**
 * oslo.messaging's RabbitMQ layout (see the oslo wire anchor): the topic exchange `controlExchange`
 * with a queue per `topic` and `topic.server`, durable with `amqp_durable_queues`; a fanout exchange
 * `<topic>_fanout` (transient, auto-delete) with one transient queue per server; and transient
 * `reply_<uuid>` queues on the default exchange. Every declaration is idempotent: the connection
 * re-runs them after each reconnect.
 */
export class Topology {
  constructor(
    /** `control_exchange`: the topic exchange every RPC request goes through (Nova: `nova`). */
    readonly controlExchange: string,
    /** `amqp_durable_queues`: the control exchange and the topic queues survive a broker restart. */
    readonly durableQueues: boolean,
    private readonly log: Logger,
  ) {}

  /** The delivery mode of requests to the topic queues: persistent (2) when those are durable. */
  get requestDeliveryMode(): 1 | 2 {
    return this.durableQueues ? 2 : 1
  }

  declareControlExchange(model: ChannelModel): Promise<unknown> {
    return this.declare(model, (ch) =>
      ch.assertExchange(this.controlExchange, 'topic', { durable: this.durableQueues, autoDelete: false }),
    )
  }

  /** `<topic>_fanout`: transient and auto-delete, so it exists only while some server of the topic does. */
  declareFanoutExchange(ch: Channel, topic: string): Promise<unknown> {
    return ch.assertExchange(fanoutExchange(topic), 'fanout', { durable: false, autoDelete: true })
  }

  /** Everything a server of `target` consumes from; resolves with those queues' names. */
  async declareServerQueues(model: ChannelModel, target: Target, fanoutQueue: string): Promise<string[]> {
    const { topic } = target
    const queues = [topic]
    if (target.server) queues.push(routingKey(target))
    const fanout = fanoutExchange(topic)
    await this.declare(model, async (ch) => {
      for (const q of queues) {
        await ch.assertQueue(q, { durable: this.durableQueues, autoDelete: false })
        await ch.bindQueue(q, this.controlExchange, q)
      }
      await this.declareFanoutExchange(ch, topic)
      await ch.assertQueue(fanoutQueue, transientQueue())
      await ch.bindQueue(fanoutQueue, fanout, topic)
    })
    return [...queues, fanoutQueue]
  }

  declareReplyQueue(model: ChannelModel, name: string): Promise<unknown> {
    return this.declare(model, (ch) => ch.assertQueue(name, transientQueue()))
  }

  async queueExists(model: ChannelModel, name: string): Promise<boolean> {
    try {
      await this.declare(model, (ch) => ch.checkQueue(name))
      return true
    } catch (err) {
      if (hasCode(err, 404)) return false
      throw err
    }
  }

  deleteQueue(model: ChannelModel, name: string): Promise<unknown> {
    return this.declare(model, (ch) => ch.deleteQueue(name))
  }

  /** Declarations go on a throwaway channel: a refused declaration closes it, not the shared ones. */
  private async declare<T>(model: ChannelModel, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await model.createChannel()
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
}
