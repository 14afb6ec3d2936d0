/**
 * The message bus under RPC. A transport moves oslo.messaging messages (the inner dict of the
 * `{"oslo.version": "2.0", "oslo.message": …}` envelope) between processes; RpcClient and
 * RpcServer give them meaning. Two implementations: in-process and AMQP 0-9-1.
 */

/** Where a message goes: `topic` (shared work queue), `topic.server`, or every `topic` server. */
export interface Target {
  readonly topic: string
  readonly server?: string
  readonly fanout?: boolean
}

/** The inner message dict: `method`, `args`, `_msg_id`, `_context_*`, or a reply's `result`. */
export type Message = Record<string, unknown>

export interface SendOptions {
  /** Message time-to-live: a call's request dies in the queue once its caller gave up. */
  readonly ttlMs?: number
}

/**
 * Receives one message. The returned promise settles when handling is done: only then is the
 * message acknowledged, so a consumer that dies mid-handling leaves it for another.
 *
 * A rejection ends handling too: the transport logs it at error level ("message handler failed;
 * message acknowledged") and acknowledges the message, which is not requeued and does not stop
 * the consumer from taking the next one. The process is alive and ran the handler, so a requeue
 * would hand the message back to the same failure, in a loop. Redelivery is only for a consumer
 * that goes away (connection lost, process gone) before its handler settled. Rpc's handler does
 * not reject for an endpoint's error: a call's goes back to its caller, a cast's is logged.
 */
export type MessageHandler = (message: Message) => Promise<void>

/** News about the replies a caller waits for, from a transport that can tell (RabbitMQ's can). */
export interface ReplyEvents {
  /** The broker lost the reply queue (it restarted): replies to requests sent before are gone. */
  onLost?(): void
  /** The broker returned a call's request: no queue is bound for its target, so no reply will come. */
  onUndeliverable?(request: Message, routingKey: string): void
}

export interface Subscription {
  close(): Promise<void>
}

/**
 * Both implementations behave alike where a caller or a server can tell (test/rpc/transport.test.ts
 * runs the same conformance tests against each), acknowledgement of a rejected message included.
 */
export interface Transport {
  /** Publish to `topic` / `topic.server` on the control exchange, or to `topic_fanout`. */
  send(target: Target, message: Message, options?: SendOptions): Promise<void>
  /** Publish a reply to a caller's `reply_<uuid>` queue. */
  reply(replyQueue: string, message: Message): Promise<void>
  /** Serve a target: consume `topic`, `topic.server` (when server is set) and a fanout queue. */
  listen(target: Target, handler: MessageHandler): Promise<Subscription>
  /** This process's reply queue, declared on first use; every reply arriving on it goes to handler. */
  replyQueue(handler: (message: Message) => void, events?: ReplyEvents): Promise<string>
  close(): Promise<void>
}

/** Queue and routing-key names, as oslo.messaging lays them out. */
export function routingKey(target: Target): string {
  return target.server ? `${target.topic}.${target.server}` : target.topic
}
export function fanoutExchange(topic: string): string {
  return `${topic}_fanout`
}
