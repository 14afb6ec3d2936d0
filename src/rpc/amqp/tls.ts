import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type ConnectionOptions, createSecureContext } from 'node:tls'
import { errorText } from './support.js'

/**
 * `[oslo_messaging_rabbit] ssl`, `ssl_ca_file`, `ssl_cert_file`, `ssl_key_file`, `ssl_version`.
 * An empty string is an unset option, as in oslo's defaults.
 */
export interface AmqpSslOptions {
  readonly enabled: boolean
  readonly caFile?: string
  readonly certFile?: string
  readonly keyFile?: string
  readonly version?: string
}

/** What tls.connect needs beyond host and port; amqplib passes its socket options through. */
export type TlsSocketOptions = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'minVersion' | 'maxVersion'>

const SECTION = '[oslo_messaging_rabbit]'

type VersionRange = Pick<TlsSocketOptions, 'minVersion' | 'maxVersion'>

/**
 * oslo's `ssl_version` values (matched without regard to case) that Node can honour. SSLv23 means
 * "negotiate the best both sides speak", which Node does by default (TLS 1.2 or 1.3).
 */
const SUPPORTED_VERSIONS: ReadonlyMap<string, VersionRange> = new Map<string, VersionRange>([
  ['sslv23', {}],
  ['tlsv1_2', { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }],
])

/** oslo's other values, and why each is refused. */
const UNSUPPORTED_VERSIONS: ReadonlyMap<string, string> = new Map([
  ['tlsv1_1', 'TLS 1.1 is disabled in the OpenSSL that Node.js runs on'],
  ['tlsv1', 'TLS 1.0 is disabled in the OpenSSL that Node.js runs on'],
  ['sslv3', 'SSLv3 is insecure and not available in Node.js'],
  ['sslv2', 'SSLv2 is insecure and not available in Node.js'],
])

/**
 * The TLS socket options for a connection, or undefined for plain TCP. TLS is on when the URL asks
 * for it (`amqps://`, `?ssl=1`) or `ssl` is enabled. Everything is read and checked here, when the
 * transport is created, so a setting that cannot work is refused naming its option rather than
 * surfacing later as an unreachable broker. The broker's certificate and host name are always
 * verified: against `ssl_ca_file` when given (oslo's CERT_REQUIRED), else against Node's bundled
 * root CAs, where some kombu versions under oslo would not verify at all.
 */
export function tlsSocketOptions(
  urlAsksForTls: boolean,
  ssl: AmqpSslOptions | undefined,
  warn: (message: string) => void,
): TlsSocketOptions | undefined {
  const caFile = ssl?.caFile || undefined
  const certFile = ssl?.certFile || undefined
  const keyFile = ssl?.keyFile || undefined
  const version = ssl?.version || undefined
  if (!urlAsksForTls && !ssl?.enabled) {
    const ignored = [
      caFile && 'ssl_ca_file',
      certFile && 'ssl_cert_file',
      keyFile && 'ssl_key_file',
      version && 'ssl_version',
    ].filter(Boolean)
    if (ignored.length > 0) {
      warn(
        `${SECTION} ${ignored.join(', ')} ignored: TLS is off (${SECTION} ssl = False and the ` +
          'transport_url is not amqps://)',
      )
    }
    return undefined
  }

  const options: TlsSocketOptions = { ...versionOptions(version) }
  if (caFile) {
    const ca = readOption('ssl_ca_file', caFile)
    if (!holdsCertificate(ca)) {
      throw new Error(`${SECTION} ssl_ca_file '${caFile}' holds no PEM certificate`)
    }
    options.ca = ca
  }
  if (keyFile && !certFile) {
    throw new Error(
      `${SECTION} ssl_key_file is set but ssl_cert_file is not: a client key needs its certificate`,
    )
  }
  if (certFile) {
    const cert = readOption('ssl_cert_file', certFile)
    // Without ssl_key_file the key is looked for in the certificate file, as Python's load_cert_chain does.
    const key = keyFile ? readOption('ssl_key_file', keyFile) : cert
    try {
      createSecureContext({ cert, key })
    } catch (err) {
      throw new Error(
        keyFile
          ? `${SECTION} ssl_cert_file '${certFile}' and ssl_key_file '${keyFile}' are not a usable ` +
              `certificate and key: ${opensslReason(err)}`
          : `${SECTION} ssl_cert_file '${certFile}' holds no usable private key and ssl_key_file is ` +
              `not set: ${opensslReason(err)}`,
      )
    }
    options.cert = cert
    options.key = key
  }
  return options
}

function versionOptions(version: string | undefined): VersionRange {
  if (!version) return {}
  const supported = SUPPORTED_VERSIONS.get(version.toLowerCase())
  if (supported) return supported
  const why = UNSUPPORTED_VERSIONS.get(version.toLowerCase())
  throw new Error(
    why
      ? `${SECTION} ssl_version '${version}' is not supported: ${why} (use SSLv23 or TLSv1_2)`
      : `${SECTION} ssl_version '${version}' is not a known SSL version (use SSLv23 or TLSv1_2)`,
  )
}

function readOption(option: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`${SECTION} ${option} '${path}' cannot be read: ${errorText(err)}`)
  }
}

function holdsCertificate(pem: Buffer): boolean {
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)
  if (!blocks) return false
  try {
    for (const block of blocks) new X509Certificate(block)
    return true
  } catch {
    return false
  }
}

/** Node's codes for a broker certificate that does not verify: worth a hint at the options to check. */
const VERIFICATION_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/** The broker's alerts about the client's certificate (TLS 1.3 and 1.2 word it differently). */
const CLIENT_CERTIFICATE_ALERTS = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
])

/** A failed TLS connection attempt, worded so an operator knows which setting to look at; else undefined. */
export function explainTlsFailure(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return undefined
  if (VERIFICATION_CODES.has(code)) {
    return (
      `TLS: the broker's certificate was not accepted (${errorText(err)}); check that ${SECTION} ` +
      'ssl_ca_file holds the CA that signed it and that it names the host in the transport_url'
    )
  }
  if (CLIENT_CERTIFICATE_ALERTS.has(code)) {
    return (
      `TLS: the broker did not accept this client's certificate, or its absence (${opensslReason(err)}); ` +
      `check ${SECTION} ssl_cert_file and ssl_key_file`
    )
  }
  // What a TLS client reads when the port speaks plain AMQP.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return `TLS handshake failed (${opensslReason(err)}); is this port the broker's TLS listener (usually 5671)?`
  }
  if (code.startsWith('ERR_SSL_')) return `TLS handshake failed (${opensslReason(err)})`
  return undefined
}

/** OpenSSL's short reason ("key values mismatch") rather than its multi-line error queue dump. */
function opensslReason(err: unknown): string {
  const reason = (err as { reason?: unknown } | null)?.reason
  return typeof reason === 'string' && reason ? reason : errorText(err).trim()
}
