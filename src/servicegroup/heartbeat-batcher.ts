import type { Logger } from '../shared/logger.js'

/**
 * Gathers heartbeats arriving within a few milliseconds into one database write. Ten thousand
 * hosts reporting every ten seconds is a thousand reports a second; written one by one that is a
 * thousand UPDATEs a second, batched it is a handful. Each reporter still gets its answer only
 * once its report is stored, so a reply still means "recorded".
 */
export class HeartbeatBatcher {
  private pending = new Map<number, { resolve(): void; reject(err: Error): void }[]>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly write: (serviceIds: number[]) => Promise<void>,
    private readonly log: Logger,
    private readonly windowMs = 20,
    private readonly maxBatch = 1000,
  ) {}

  report(serviceId: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(serviceId)
      if (waiters) waiters.push({ resolve, reject })
      else this.pending.set(serviceId, [{ resolve, reject }])
      if (this.pending.size >= this.maxBatch) this.flushSoon(0)
      else this.flushSoon(this.windowMs)
    })
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return
    if (this.timer) clearTimeout(this.timer)
    // A real timer, not the services' Clock: a heartbeat that a test's ManualClock.advance() awaits
    // waits for this flush, which a timer on that clock would hold back for good.
    this.timer = setTimeout(() => {
      this.timer = undefined
      const batch = this.pending
      this.pending = new Map()
      // One write at a time, in arrival order; the next batch waits for this one.
      this.flushing = this.flushing.then(() => this.flush(batch))
    }, delayMs)
  }

  private async flush(batch: Map<number, { resolve(): void; reject(err: Error): void }[]>): Promise<void> {
    if (batch.size === 0) return
    try {
      await this.write([...batch.keys()])
      for (const waiters of batch.values()) for (const w of waiters) w.resolve()
    } catch (err) {
      this.log.error({ err, services: batch.size }, 'could not record heartbeats')
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err as Error)
    }
  }
}
