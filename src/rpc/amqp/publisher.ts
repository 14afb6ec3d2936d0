import type { Message as AmqpMessage, ConfirmChannel, Options } from 'amqplib'
import { MessagingUnavailable } from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import { fanoutExchange, type Message, routingKey, type SendOptions, type Target } from '../transport.js'
import { wrapEnvelope } from '../wire.js'
import type { BrokerConnection, Live } from './connection.js'
import { errorText, guardChannel, isPermanent, sleep } from './support.js'
import type { Topology } from './topology.js'

/** A connection's publishing side; it dies with the connection. */
interface PublishState {
  /** Publisher-confirm channel, opened lazily and reopened if the broker closes it. */
  channel: Promise<ConfirmChannel> | undefined
  /** Set while the publish channel's write buffer is full. */
  drain: Promise<void> | undefined
}

/**
 * Requests and replies, published with confirms: a publish resolves once the broker has taken the
 * message, and one cut short by a disconnect is published again on the recovered connection.
 */
export class Publisher {
  private readonly states = new WeakMap<Live, PublishState>()

  constructor(
    private readonly connection: BrokerConnection,
    private readonly topology: Topology,
    private readonly log: Logger,
    /** How long a publish waits for the broker's confirm. */
    private readonly confirmTimeoutMs: number,
    /** A request the broker returned as unroutable (the raw body, and the routing key it had). */
    private readonly onRequestReturned: (body: Buffer, routingKey: string) => void,
  ) {}

  async send(target: Target, message: Message, options: SendOptions = {}): Promise<void> {
    const body = Buffer.from(wrapEnvelope(message), 'utf8')
    const props: Options.Publish = {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
    }
    if (options.ttlMs !== undefined) props.expiration = String(Math.max(0, Math.ceil(options.ttlMs)))
    if (target.fanout) {
      // The fanout exchange is auto-delete: (re)declare it before each fanout, as oslo's fanout_send does.
      await this.publish(fanoutExchange(target.topic), target.topic, body, props, (ch) =>
        this.topology.declareFanoutExchange(ch, target.topic),
      )
      return
    }
    // Mandatory, so a request nobody can receive is logged (the broker returns it) rather than vanishing.
    // Persistent on durable queues: a durable queue keeps only persistent messages across a restart.
    await this.publish(this.topology.controlExchange, routingKey(target), body, {
      ...props,
      deliveryMode: this.topology.requestDeliveryMode,
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

  /** The connection's confirm channel, opened on first use (the connection's setup opens it early). */
  channel(live: Live): Promise<ConfirmChannel> {
    const state = this.stateOf(live)
    if (state.channel) return state.channel
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
        if (state.channel === opening) state.channel = undefined
      })
      return ch
    })()
    state.channel = opening
    opening.catch(() => {
      if (state.channel === opening) state.channel = undefined
    })
    return opening
  }

  private stateOf(live: Live): PublishState {
    let state = this.states.get(live)
    if (!state) {
      state = { channel: undefined, drain: undefined }
      this.states.set(live, state)
    }
    return state
  }

  private async publish(
    exchange: string,
    key: string,
    body: Buffer,
    props: Options.Publish,
    prepare?: (ch: ConfirmChannel) => Promise<unknown>,
  ): Promise<void> {
    const deadline = Date.now() + this.connection.unavailableAfterMs
    for (;;) {
      const live = await this.connection.acquire(deadline)
      try {
        const ch = await this.channel(live)
        if (prepare) await prepare(ch)
        await this.publishOn(live, ch, exchange, key, body, props)
        return
      } catch (err) {
        if (this.connection.closed) throw new MessagingUnavailable('The message transport is closed')
        if (err instanceof MessagingUnavailable || isPermanent(err)) throw err
        if (Date.now() >= deadline) throw this.connection.unavailable(err)
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
    const state = this.stateOf(live)
    while (state.drain) await state.drain
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
      if (!flowing && !state.drain) {
        state.drain = new Promise<void>((done) => {
          const finish = (): void => {
            ch.off('drain', finish)
            ch.off('close', finish)
            state.drain = undefined
            done()
          }
          ch.on('drain', finish)
          ch.on('close', finish)
        })
      }
    })
  }
}
