/**
 * Whether a failure means a backing service (a database, the message broker, the identity
 * service) cannot be reached right now: the request may succeed later, so every API answers
 * 503, never 500 (a bug) or 400 (the client's fault). Drivers do not share error classes, so
 * their documented error codes are what is recognised.
 */
import { ServiceUnavailable } from './errors.js'

/** Socket-level failures (Node's errno codes), surfaced by mysql2 and pg alike. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** mysql2's codes for a server that is gone, going, full or has lost the database. */
const MYSQL_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_SERVER_GONE_ERROR',
  'ER_SERVER_LOST',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_BAD_DB_ERROR',
  'ER_CONNECTION_KILLED',
])

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01–57P03 (admin or crash shutdown,
 * cannot connect now), 53300 (too many connections), 3D000 (the database is gone).
 */
function isPostgresOutage(code: string): boolean {
  return /^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300' || code === '3D000'
}

/** pg reports a connection closed under it without a code; these are its words for it. */
const PG_CONNECTION_LOST = /^(Connection terminated( unexpectedly)?|timeout exceeded when trying to connect)/

function codeOf(err: object): string | undefined {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** True if `err` says a database or the broker is unreachable (not that the request is wrong). */
export function isOutage(err: unknown): boolean {
  if (err instanceof ServiceUnavailable) return true
  if (typeof err !== 'object' || err === null) return false
  const code = codeOf(err)
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || MYSQL_CODES.has(code) || isPostgresOutage(code)) return true
    // better-sqlite3: the file stayed locked past busy_timeout (extended codes SQLITE_BUSY_*).
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) return true
  }
  const message = (err as { message?: unknown }).message
  if (typeof message === 'string' && PG_CONNECTION_LOST.test(message)) return true
  // Aggregate errors (pg tries every address of a host) are an outage when every part is one.
  const parts = (err as { errors?: unknown }).errors
  if (Array.isArray(parts) && parts.length > 0) return parts.every(isOutage)
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isOutage(cause)
}

/** The sentence the Python services (webob's HTTPServiceUnavailable) answer a 503 with. */
export const UNAVAILABLE_MESSAGE = 'The server is currently unavailable. Please try again at a later time.'
