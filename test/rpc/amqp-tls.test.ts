/**
 * TLS to RabbitMQ without reconfiguring the shared broker: a Node TLS proxy, with a certificate
 * from a throwaway CA made by the openssl CLI, terminates TLS and pipes to the plain AMQP port.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { type Socket, connect as tcpConnect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer, type Server, type TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AmqpTransport, checkBroker, parseRabbitUrl } from '../../src/rpc/amqp/amqp-transport.js'
import type { AmqpSslOptions } from '../../src/rpc/amqp/tls.js'
import { Rpc } from '../../src/rpc/rpc.js'
import type { Subscription } from '../../src/rpc/transport.js'
import { createTransport } from '../../src/rpc/transport-url.js'
import { makeContext, type RequestContext } from '../../src/shared/context.js'
import { MessagingUnavailable } from '../../src/shared/errors.js'
import { createLogger } from '../../src/shared/logger.js'
import { describeNeeding } from '../harness/matrix.js'
import { createVhost, type TestVhost } from '../harness/rabbit.js'

const exec = promisify(execFile)
const log = createLogger({ name: 'amqp-tls-test' })
if (!process.env.TSNOVA_LOG_LEVEL) log.level = 'silent'

const haveOpenssl = await exec('openssl', ['version']).then(
  () => true,
  () => false,
)
if (!haveOpenssl) console.warn('openssl CLI not found: AMQP TLS tests skipped')

interface Pki {
  readonly dir: string
  /** The CA that signed the proxy's (and the client's) certificate. */
  readonly caFile: string
  /** A CA that signed nothing here. */
  readonly otherCaFile: string
  readonly serverCertFile: string
  readonly serverKeyFile: string
  readonly clientCertFile: string
  readonly clientKeyFile: string
  /** The client's certificate and key in one file, as Python's load_cert_chain takes them. */
  readonly clientCombinedFile: string
}

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'tsnova-tls-'))
  const path = (name: string): string => join(dir, name)
  /** Run the openssl CLI on a line of words, where `{name}` is a file in the PKI's directory. */
  const openssl = async (line: string): Promise<void> => {
    const args = line.split(' ').map((word) => word.replace(/\{([^}]+)\}/g, (_, name: string) => path(name)))
    await exec('openssl', args, { timeout: 30_000 })
  }
  const makeCa = (name: string): Promise<void> =>
    openssl(
      `req -x509 -newkey rsa:2048 -nodes -days 1 -keyout {${name}.key} -out {${name}.pem} ` +
        `-subj /CN=tsnova-test-${name} -addext basicConstraints=critical,CA:TRUE ` +
        '-addext keyUsage=critical,keyCertSign,cRLSign',
    )
  await makeCa('ca')
  await makeCa('other-ca')
  const issue = async (name: string, extensions: string): Promise<void> => {
    await writeFile(path(`${name}.ext`), `${extensions}\n`)
    await openssl(`req -newkey rsa:2048 -nodes -keyout {${name}.key} -out {${name}.csr} -subj /CN=${name}`)
    await openssl(
      `x509 -req -in {${name}.csr} -CA {ca.pem} -CAkey {ca.key} -CAcreateserial -days 1 ` +
        `-out {${name}.pem} -extfile {${name}.ext}`,
    )
  }
  // The broker's certificate names the address the client dials: the hostname is checked too.
  await issue('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost')
  await issue('client', 'extendedKeyUsage=clientAuth')
  await writeFile(
    path('client-combined.pem'),
    Buffer.concat([await readFile(path('client.pem')), await readFile(path('client.key'))]),
  )
  return {
    dir,
    caFile: path('ca.pem'),
    otherCaFile: path('other-ca.pem'),
    serverCertFile: path('server.pem'),
    serverKeyFile: path('server.key'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
    clientCombinedFile: path('client-combined.pem'),
  }
}

interface TlsProxy {
  readonly port: number
  /** The TLS version of each connection that completed its handshake. */
  readonly protocols: string[]
  /** Whether each such connection presented a client certificate the CA signed. */
  readonly clientAuthorized: boolean[]
  close(): Promise<void>
}

/** Terminates TLS with the PKI's server certificate and pipes each connection to the broker's plain port. */
async function startTlsProxy(
  pki: Pki,
  upstream: { host: string; port: number },
  requireClientCert = false,
): Promise<TlsProxy> {
  const sockets = new Set<Socket>()
  const protocols: string[] = []
  const clientAuthorized: boolean[] = []
  const server: Server = createServer(
    {
      key: await readFile(pki.serverKeyFile),
      cert: await readFile(pki.serverCertFile),
      ca: await readFile(pki.caFile),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
    },
    (secure: TLSSocket) => {
      protocols.push(secure.getProtocol() ?? 'unknown')
      clientAuthorized.push(secure.authorized)
      const plain = tcpConnect(upstream.port, upstream.host)
      sockets.add(secure)
      sockets.add(plain)
      const drop = (): void => {
        secure.destroy()
        plain.destroy()
        sockets.delete(secure)
        sockets.delete(plain)
      }
      secure.on('error', drop).on('close', drop)
      plain.on('error', drop).on('close', drop)
      secure.pipe(plain).pipe(secure)
    },
  )
  // A client that rejects the certificate aborts the handshake: not the proxy's failure.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the TLS proxy has no port')
  return {
    port: address.port,
    protocols,
    clientAuthorized,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

class Probe {
  readonly casts: Record<string, unknown>[] = []
  async echo(_ctx: RequestContext, args: Record<string, unknown>): Promise<unknown> {
    return { echoed: args }
  }
  async record(_ctx: RequestContext, args: Record<string, unknown>): Promise<void> {
    this.casts.push(args)
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const hex = (): string => randomBytes(4).toString('hex')

let pki: Pki | undefined
beforeAll(async () => {
  if (haveOpenssl) pki = await makePki()
}, 60_000)
afterAll(async () => {
  if (pki) await rm(pki.dir, { recursive: true, force: true })
})

/** Every Rpc and subscription a test opens, closed after it (subscriptions first). */
const rpcs: Rpc[] = []
const subscriptions: Subscription[] = []
afterEach(async () => {
  await Promise.all(subscriptions.splice(0).map((s) => s.close()))
  await Promise.all(rpcs.splice(0).map((r) => r.close()))
}, 20_000)

function opened(sub: Subscription): void {
  subscriptions.push(sub)
}

function rpcOver(url: string, ssl: AmqpSslOptions | undefined): Rpc {
  const rpc = new Rpc(createTransport(url, { controlExchange: 'nova', log, ssl }), log, 10)
  rpcs.push(rpc)
  return rpc
}

describe.skipIf(!haveOpenssl)('TLS settings refused when the transport is created', () => {
  const url = 'rabbit://guest:guest@127.0.0.1/'
  const refused = (ssl: AmqpSslOptions, transportUrl = url): (() => unknown) => {
    return () => createTransport(transportUrl, { controlExchange: 'nova', log, ssl })
  }

  it('names an ssl_*_file that cannot be read or holds no certificate', () => {
    expect(refused({ enabled: true, caFile: '/nonexistent/ca.pem' })).toThrow(
      /\[oslo_messaging_rabbit\] ssl_ca_file '\/nonexistent\/ca.pem' cannot be read: ENOENT/,
    )
    expect(refused({ enabled: true, caFile: pki!.serverKeyFile })).toThrow(
      /ssl_ca_file '.*' holds no PEM certificate/,
    )
    expect(refused({ enabled: true, certFile: '/nonexistent/c.pem', keyFile: pki!.clientKeyFile })).toThrow(
      /ssl_cert_file '\/nonexistent\/c.pem' cannot be read/,
    )
  })

  it('refuses a key without its certificate, a certificate without a key, and a mismatched pair', () => {
    expect(refused({ enabled: true, keyFile: pki!.clientKeyFile })).toThrow(
      /ssl_key_file is set but ssl_cert_file is not/,
    )
    expect(refused({ enabled: true, certFile: pki!.clientCertFile })).toThrow(
      /ssl_cert_file '.*' holds no usable private key and ssl_key_file is not set: /,
    )
    expect(refused({ enabled: true, certFile: pki!.clientCertFile, keyFile: pki!.serverKeyFile })).toThrow(
      /ssl_cert_file '.*' and ssl_key_file '.*' are not a usable certificate and key: key values mismatch/,
    )
  })

  it('refuses an ssl_version Node cannot speak or oslo does not know', () => {
    expect(refused({ enabled: true, version: 'TLSv1' })).toThrow(
      /ssl_version 'TLSv1' is not supported: TLS 1.0 is disabled/,
    )
    expect(refused({ enabled: true, version: 'tlsv1_1' })).toThrow(/ssl_version 'tlsv1_1' is not supported/)
    expect(refused({ enabled: true, version: 'SSLv3' })).toThrow(/ssl_version 'SSLv3' is not supported/)
    expect(refused({ enabled: true, version: 'TLSv9' })).toThrow(
      /ssl_version 'TLSv9' is not a known SSL version/,
    )
    expect(refused({ enabled: false, version: 'TLSv1' }, 'amqps://guest:guest@127.0.0.1/')).toThrow(
      /ssl_version 'TLSv1'/,
    )
  })

  it('refuses ssl on the in-process bus, and schemes nobody serves', () => {
    expect(refused({ enabled: true }, 'memory://tls')).toThrow(
      /ssl = True does not apply to transport_url scheme 'memory'/,
    )
    expect(refused({ enabled: false }, 'kafka://h:9092/')).toThrow(/Unsupported transport_url scheme 'kafka'/)
  })

  it('takes every scheme the URL parser takes, and accepts ssl = False with files set (ignored, as oslo does)', async () => {
    for (const scheme of ['rabbit', 'amqp', 'kombu+amqp', 'amqps', 'rabbit+ssl', 'rabbits', 'AMQPS']) {
      const transport = createTransport(`${scheme}://guest:guest@127.0.0.1/`, {
        controlExchange: 'nova',
        log,
      })
      expect(transport, scheme).toBeInstanceOf(AmqpTransport)
      await transport.close()
    }
    const lines: string[] = []
    const captured = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) })
    const plain = createTransport(url, {
      controlExchange: 'nova',
      log: captured,
      ssl: { enabled: false, caFile: '/nonexistent/ca.pem', certFile: '', keyFile: '', version: '' },
    })
    await plain.close()
    expect(lines.join('')).toContain('ssl_ca_file ignored: TLS is off')
  })

  it('defaults to port 5671 when TLS is on and the URL gives no port', () => {
    expect(parseRabbitUrl('rabbit://u:p@mq1,u:p@mq2:5000/', { tls: true })).toMatchObject({
      protocol: 'amqps',
      hosts: [
        { hostname: 'mq1', port: 5671 },
        { hostname: 'mq2', port: 5000 },
      ],
    })
    expect(parseRabbitUrl('amqps://u:p@mq1/').hosts[0]?.port).toBe(5671)
    expect(parseRabbitUrl('rabbit://u:p@mq1/').hosts[0]?.port).toBe(5672)
    expect(parseRabbitUrl('rabbit://u:p@mq1/', { tls: false }).protocol).toBe('amqp')
  })
})

describeNeeding('amqp transport over TLS', ['rabbitmq'], () => {
  if (!haveOpenssl) {
    it.skip('needs the openssl CLI to make its certificates')
    return
  }
  let vhost: TestVhost
  let proxy: TlsProxy
  let mutualProxy: TlsProxy
  const tlsUrl = (port: number, scheme = 'rabbit'): string =>
    `${scheme}://guest:guest@127.0.0.1:${port}/${encodeURIComponent(vhost.vhost)}`

  beforeAll(async () => {
    vhost = await createVhost()
    const broker = parseRabbitUrl(vhost.url).hosts[0]!
    const upstream = { host: broker.hostname, port: broker.port }
    proxy = await startTlsProxy(pki!, upstream)
    mutualProxy = await startTlsProxy(pki!, upstream, true)
  }, 60_000)
  afterAll(async () => {
    await proxy?.close()
    await mutualProxy?.close()
    await vhost?.drop()
  }, 30_000)

  it('calls and casts over TLS with ssl = True and ssl_ca_file', async () => {
    const topic = `conductor-${hex()}`
    const ssl: AmqpSslOptions = { enabled: true, caFile: pki!.caFile }
    const probe = new Probe()
    const before = proxy.protocols.length
    opened(
      await rpcOver(tlsUrl(proxy.port), ssl).serve({ topic, server: 'c1' }, [
        { version: '1.0', endpoint: probe },
      ]),
    )
    const client = rpcOver(tlsUrl(proxy.port), ssl).client({ topic, version: '1.0' })
    expect(await client.call(makeContext(), 'echo', { over: 'tls' })).toEqual({ echoed: { over: 'tls' } })
    await client.cast(makeContext(), 'record', { n: 1 })
    await waitFor('the cast', () => probe.casts.length === 1)
    // Both "processes" went through the proxy, which only speaks TLS.
    expect(proxy.protocols.length - before).toBe(2)
    expect(proxy.protocols.slice(before).every((p) => p.startsWith('TLSv1.'))).toBe(true)
  }, 30_000)

  it('takes an amqps:// URL as TLS, honours ssl_version and presents a client certificate', async () => {
    const topic = `conductor-${hex()}`
    const before = mutualProxy.protocols.length
    const ssl: AmqpSslOptions = {
      enabled: false,
      caFile: pki!.caFile,
      certFile: pki!.clientCombinedFile,
      version: 'TLSv1_2',
    }
    opened(
      await rpcOver(tlsUrl(mutualProxy.port, 'amqps'), ssl).serve({ topic }, [
        { version: '1.0', endpoint: new Probe() },
      ]),
    )
    const separateKey: AmqpSslOptions = {
      enabled: true,
      caFile: pki!.caFile,
      certFile: pki!.clientCertFile,
      keyFile: pki!.clientKeyFile,
    }
    const client = rpcOver(tlsUrl(mutualProxy.port), separateKey).client({ topic, version: '1.0' })
    expect(await client.call(makeContext(), 'echo', { x: 1 })).toEqual({ echoed: { x: 1 } })
    expect(mutualProxy.protocols.slice(before)).toEqual(['TLSv1.2', expect.stringMatching(/^TLSv1\.[23]$/)])
    expect(mutualProxy.clientAuthorized.slice(before)).toEqual([true, true])
    expect(await checkBroker(tlsUrl(mutualProxy.port), 5000, separateKey)).toMatchObject({
      product: 'RabbitMQ',
    })
  }, 30_000)

  it('fails with a clear error, not a hang, when the broker certificate is not from ssl_ca_file', async () => {
    const rpc = rpcOver(tlsUrl(proxy.port), { enabled: true, caFile: pki!.otherCaFile })
    const started = Date.now()
    const err = await rpc
      .client({ topic: 'conductor', version: '1.0' })
      .call(makeContext(), 'echo', {})
      .catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(err).toBeInstanceOf(MessagingUnavailable)
    const message = (err as Error).message
    expect(message).toMatch(
      /is unreachable \(waited 5000 ms\): 127\.0\.0\.1:\d+: TLS: the broker's certificate was not accepted/,
    )
    expect(message).toContain('ssl_ca_file')
    expect(message).not.toContain('guest:guest')
  }, 30_000)

  it('fails with a clear error when the broker wants a client certificate and none is configured', async () => {
    const transport = new AmqpTransport(tlsUrl(mutualProxy.port), {
      controlExchange: 'nova',
      log,
      unavailableAfterMs: 1500,
      ssl: { enabled: true, caFile: pki!.caFile },
    })
    try {
      const err = await transport.send({ topic: 'conductor' }, { method: 'x' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(MessagingUnavailable)
      expect((err as Error).message).toMatch(
        /unreachable \(waited 1500 ms\): 127\.0\.0\.1:\d+: TLS: the broker did not accept this client's certificate, or its absence \(.*\); check .*ssl_cert_file and ssl_key_file$/,
      )
    } finally {
      await transport.close()
    }
  }, 30_000)

  it('says when TLS meets a port that speaks plain AMQP', async () => {
    const broker = parseRabbitUrl(vhost.url).hosts[0]!
    const transport = new AmqpTransport(`amqps://guest:guest@${broker.hostname}:${broker.port}/`, {
      controlExchange: 'nova',
      log,
      unavailableAfterMs: 1500,
    })
    try {
      const err = await transport.send({ topic: 'conductor' }, { method: 'x' }).catch((e: unknown) => e)
      expect((err as Error).message).toMatch(
        /unreachable \(waited 1500 ms\): \S+:\d+: TLS handshake failed \(wrong version number\); is this port the broker's TLS listener/,
      )
    } finally {
      await transport.close()
    }
  }, 30_000)
})
