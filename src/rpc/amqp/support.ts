import { randomUUID } from 'node:crypto'
import type { Channel } from 'amqplib'
import type { Logger } from '../../shared/logger.js'

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export function hex(): string {
  return randomUUID().replaceAll('-', '')
}

export function noop(): void {}

/** The broker's reply codes that mean "you asked for something wrong", not "the broker is away". */
const PERMANENT_CODES = new Set([403, 406, 530, 540])

export function isPermanent(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'number' && PERMANENT_CODES.has(code)
}

export function hasCode(err: unknown, code: number): boolean {
  return (err as { code?: unknown } | null)?.code === code
}

export function guardChannel(ch: Channel, log: Logger, role: string): void {
  ch.on('error', (err: Error) => log.debug({ err: errorText(err), channel: role }, 'broker closed a channel'))
  ch.on('handler-error', (err: Error, event: string) =>
    log.error({ err, event, channel: role }, 'error in a channel event handler'),
  )
}

export function safely(fn: () => void): boolean {
  try {
    fn()
    return true
  } catch {
    return false
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
