/**
 * A transport that keeps a copy of what it sends and of what its servers receive, so a test
 * can read the version and arguments a message carried on the wire.
 */
import type {
  Message,
  MessageHandler,
  ReplyEvents,
  SendOptions,
  Subscription,
  Target,
  Transport,
} from '../../src/rpc/transport.js'

export class RecordingTransport implements Transport {
  readonly sent: { target: Target; message: Message }[] = []
  readonly received: Message[] = []

  constructor(private readonly inner: Transport) {}

  send(target: Target, message: Message, options?: SendOptions): Promise<void> {
    this.sent.push({ target, message: structuredClone(message) })
    return this.inner.send(target, message, options)
  }

  reply(replyQueue: string, message: Message): Promise<void> {
    return this.inner.reply(replyQueue, message)
  }

  listen(target: Target, handler: MessageHandler): Promise<Subscription> {
    return this.inner.listen(target, async (message) => {
      this.received.push(structuredClone(message))
      await handler(message)
    })
  }

  replyQueue(handler: (message: Message) => void, events?: ReplyEvents): Promise<string> {
    return this.inner.replyQueue(handler, events)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  /** The requests sent for `method`, oldest first. */
  sentFor(method: string): Message[] {
    return this.sent.filter((s) => s.message.method === method).map((s) => s.message)
  }

  /** The requests this transport's servers got for `method`, oldest first. */
  receivedFor(method: string): Message[] {
    return this.received.filter((m) => m.method === method)
  }
}
