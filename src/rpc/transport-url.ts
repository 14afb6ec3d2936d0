import type { Logger } from '../shared/logger.js'
import { AmqpTransport } from './amqp/amqp-transport.js'
import { hubFor, InProcessTransport } from './in-process/in-process-transport.js'
import type { Transport } from './transport.js'

export interface TransportOptions {
  /** `control_exchange`: the topic exchange every RPC message goes through. */
  readonly controlExchange: string
  readonly log: Logger
  /** `[oslo_messaging_rabbit] amqp_durable_queues` (RabbitMQ only; the in-process bus keeps nothing). */
  readonly durableQueues?: boolean
}

/**
 * The transport for a `transport_url`, chosen by scheme as oslo.messaging does: `rabbit://` (or
 * `amqp://`) for RabbitMQ, `memory://` (or Nova's `fake://`) for the in-process bus.
 */
export function createTransport(url: string, options: TransportOptions): Transport {
  const scheme = url.split(':', 1)[0]
  switch (scheme) {
    case 'rabbit':
    case 'amqp':
      return new AmqpTransport(url, options)
    case 'memory':
    case 'fake':
      return new InProcessTransport(hubFor(url), options.log)
    default:
      throw new Error(`Unsupported transport_url scheme '${scheme}' (use rabbit:// or memory://)`)
  }
}
