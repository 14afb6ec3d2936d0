import type { Options } from 'amqplib'

/** Schemes that name RabbitMQ over plain TCP; `kombu+amqp` is oslo's explicit-kombu spelling. */
const PLAIN_SCHEMES: ReadonlySet<string> = new Set(['rabbit', 'amqp', 'kombu+amqp'])
/** Schemes that name RabbitMQ over TLS. */
const TLS_SCHEMES: ReadonlySet<string> = new Set(['amqps', 'rabbit+ssl', 'rabbits'])

/** Whether `parseRabbitUrl` takes a URL with this scheme (lower case): the one list createTransport asks. */
export function isRabbitScheme(scheme: string): boolean {
  return PLAIN_SCHEMES.has(scheme) || TLS_SCHEMES.has(scheme)
}

export interface BrokerHost {
  readonly hostname: string
  readonly port: number
  readonly username: string
  readonly password: string
}

export interface RabbitUrl {
  /**
   * `amqps` when the scheme asks for TLS (`amqps://`, `rabbit+ssl://`), the query has `ssl=1`, or
   * the caller turned TLS on (`[oslo_messaging_rabbit] ssl`); else `amqp`.
   */
  readonly protocol: 'amqp' | 'amqps'
  /** Tried in order, round-robin on failure (oslo's kombu_failover_strategy). */
  readonly hosts: readonly BrokerHost[]
  /** The virtual host, decoded; an empty path means the default vhost `/`. */
  readonly vhost: string
}

export interface ParseRabbitUrlOptions {
  /** TLS whatever the URL says (`[oslo_messaging_rabbit] ssl = True`): a host without a port gets 5671. */
  readonly tls?: boolean
}

/**
 * Parse an oslo.messaging transport URL: `rabbit://user:pass@host:port/vhost`, with several
 * comma-separated `user:pass@host:port` entries for a cluster. `amqp://` is accepted too.
 */
export function parseRabbitUrl(url: string, options: ParseRabbitUrlOptions = {}): RabbitUrl {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(url.trim())
  if (!m) throw new Error(`Invalid transport_url '${redactTransportUrl(url)}'`)
  const scheme = m[1]!.toLowerCase()
  let protocol: 'amqp' | 'amqps'
  if (PLAIN_SCHEMES.has(scheme)) protocol = 'amqp'
  else if (TLS_SCHEMES.has(scheme)) protocol = 'amqps'
  else throw new Error(`Unsupported transport_url scheme '${scheme}' for RabbitMQ`)
  const query = new URLSearchParams(m[4]?.slice(1) ?? '')
  const ssl = query.get('ssl')
  if (ssl && ['1', 'true', 'yes', 'on'].includes(ssl.toLowerCase())) protocol = 'amqps'
  if (options.tls) protocol = 'amqps'

  const defaultPort = protocol === 'amqps' ? 5671 : 5672
  const hosts: BrokerHost[] = []
  let lastUser = 'guest'
  let lastPass = 'guest'
  for (const entry of (m[2] ?? '').split(',')) {
    if (!entry) continue
    const at = entry.lastIndexOf('@')
    let username = lastUser
    let password = lastPass
    if (at >= 0) {
      const userinfo = entry.slice(0, at)
      const colon = userinfo.indexOf(':')
      username = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo)
      password = colon >= 0 ? decodeURIComponent(userinfo.slice(colon + 1)) : ''
      lastUser = username
      lastPass = password
    }
    const hostport = at >= 0 ? entry.slice(at + 1) : entry
    let hostname: string
    let portText: string | undefined
    const v6 = /^\[([^\]]+)\](?::(\d*))?$/.exec(hostport)
    if (v6) {
      hostname = v6[1]!
      portText = v6[2]
    } else {
      const colon = hostport.lastIndexOf(':')
      hostname = colon >= 0 ? hostport.slice(0, colon) : hostport
      portText = colon >= 0 ? hostport.slice(colon + 1) : undefined
    }
    const port = portText ? Number(portText) : defaultPort
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new Error(`Invalid port in transport_url '${redactTransportUrl(url)}'`)
    }
    hosts.push({ hostname: hostname || 'localhost', port, username, password })
  }
  if (hosts.length === 0)
    hosts.push({ hostname: 'localhost', port: defaultPort, username: 'guest', password: 'guest' })
  const path = m[3] ?? ''
  const vhost = path.length > 1 ? decodeURIComponent(path.slice(1)) : '/'
  return { protocol, hosts, vhost }
}

/** The URL with every password replaced by `***`, for logs and error messages. */
export function redactTransportUrl(url: string): string {
  return url.replace(/([/,])([^/,@:]*):([^@/,]*)@/g, '$1$2:***@')
}

/** amqplib's options for one host of the URL; TLS settings travel separately, as socket options. */
export function connectOptions(url: RabbitUrl, host: BrokerHost, heartbeatS?: number): Options.Connect {
  return {
    protocol: url.protocol,
    hostname: host.hostname,
    port: host.port,
    username: host.username,
    password: host.password,
    // amqplib percent-decodes the vhost it is given.
    vhost: encodeURIComponent(url.vhost),
    ...(heartbeatS === undefined ? {} : { heartbeat: heartbeatS }),
  }
}
