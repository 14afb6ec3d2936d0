import { MessagingTimeout, MessagingUnavailable } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'

/** How long and how often to try again while the message broker (or the callee) is away. */
export interface RetryPolicy {
  /** Stop trying after this long; the last error is then logged and thrown. */
  readonly giveUpAfterMs: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
}

/** For reports that must not be dropped: ten minutes covers a broker restart or failover. */
export const DELIVERY_RETRY: RetryPolicy = { giveUpAfterMs: 600_000, initialDelayMs: 500, maxDelayMs: 15_000 }

/**
 * The failures that say nothing about the request itself: the broker was unreachable, or no reply
 * came (the request may or may not have been handled). Errors rebuilt from a remote failure are
 * real instances of their class (`errorFromRemote`).
 */
export function isMessagingFailure(err: unknown): boolean {
  return err instanceof MessagingUnavailable || err instanceof MessagingTimeout
}

/**
 * Send until it is delivered: retry with exponential back-off (jittered) while it fails with a
 * messaging failure; any other error, or the last one after `giveUpAfterMs`, is thrown. The
 * request is sent more than once, so it must be idempotent.
 */
export async function sendUntilDelivered<T>(
  send: () => Promise<T>,
  what: string,
  log: Logger,
  policy: RetryPolicy = DELIVERY_RETRY,
): Promise<T> {
  const giveUpAt = Date.now() + policy.giveUpAfterMs
  let delayMs = policy.initialDelayMs
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await send()
      if (attempt > 1) log.info({ attempt }, `${what}: delivered after the message bus came back`)
      return result
    } catch (err) {
      if (!isMessagingFailure(err)) throw err
      const reason = (err as Error).message
      if (Date.now() + delayMs > giveUpAt) {
        log.error(
          { attempt, reason },
          `${what}: still undelivered after ${policy.giveUpAfterMs / 1000} s; giving up`,
        )
        throw err
      }
      log.warn({ attempt, reason, retryInMs: delayMs }, `${what}: not delivered; retrying`)
      await sleep(delayMs * (0.8 + Math.random() * 0.4))
      delayMs = Math.min(delayMs * 2, policy.maxDelayMs)
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
