import type { Logger } from '../shared/logger.js'
import { AmqpTransport } from './amqp/amqp-transport.js'
import { isRabbitScheme } from './amqp/rabbit-url.js'
import type { AmqpSslOptions } from './amqp/tls.js'
import { hubFor, InProcessTransport } from './in-process/in-process-transport.js'
import type { Transport } from './transport.js'

export interface TransportOptions {
  /** `control_exchange`: the topic exchange every RPC message goes through. */
  readonly controlExchange: string
  readonly log: Logger
  /** `[oslo_messaging_rabbit] amqp_durable_queues` (RabbitMQ only; the in-process bus keeps nothing). */
  readonly durableQueues?: boolean
  /**
   * `[oslo_messaging_rabbit] ssl`, `ssl_ca_file`, `ssl_cert_file`, `ssl_key_file`, `ssl_version`
   * (RabbitMQ only). TLS is on when `enabled` or when the URL asks for it (`amqps://`, `?ssl=1`);
   * without a port the URL's hosts are then on 5671. Empty strings count as unset.
   */
  readonly ssl?: AmqpSslOptions
}

/**
 * The transport for a `transport_url`, chosen by scheme as oslo.messaging does: `rabbit://` (or
 * `amqp://`; `amqps://` for TLS) for RabbitMQ, `memory://` (or Nova's `fake://`) for the in-process
 * bus. A URL or option the transport cannot honour is refused here, naming it, not at first use.
 */
export function createTransport(url: string, options: TransportOptions): Transport {
  const scheme = url.split(':', 1)[0]!.toLowerCase()
  if (isRabbitScheme(scheme)) return new AmqpTransport(url, options)
  switch (scheme) {
    case 'memory':
    case 'fake':
      if (options.ssl?.enabled) {
        throw new Error(
          `[oslo_messaging_rabbit] ssl = True does not apply to transport_url scheme '${scheme}' (in-process bus)`,
        )
      }
      return new InProcessTransport(hubFor(url), options.log)
    default:
      throw new Error(`Unsupported transport_url scheme '${scheme}' (use rabbit://, amqps:// or memory://)`)
  }
}
