import { type Logger, pino } from 'pino'

export type { Logger }

/**
 * One JSON logger per process; each service takes a child named after itself, and each request
 * handler a child carrying the request id, so `grep req-…` follows a boot through every hop.
 */
export function createLogger(options: { debug?: boolean; name?: string } = {}): Logger {
  const level = process.env.TSNOVA_LOG_LEVEL ?? (options.debug ? 'debug' : 'info')
  return pino({ name: options.name ?? 'tsnova', level, base: { pid: process.pid } })
}
