/**
 * Time as the services see it: the wall clock in production; in tests, a ManualClock that moves
 * only when told to, so a test of heartbeats or periodic tasks does not wait in real time.
 */

/** A timer set on a Clock. */
export interface Timer {
  /** Let the process exit while this timer is pending, as Node's `timer.unref()`. */
  unref(): Timer
}

export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number
  /**
   * Call `callback` once, `delayMs` from now. What it returns is ignored by the system clock and
   * awaited by a ManualClock's `advance()`, so the work a timer starts is done once that returns.
   */
  setTimeout(callback: () => unknown, delayMs: number): Timer
  /** Call `callback` every `intervalMs`, the first time `intervalMs` from now. */
  setInterval(callback: () => unknown, intervalMs: number): Timer
  /** Cancel a timer of this clock's; one that fired or was cleared already is ignored. */
  clearTimer(timer: Timer): void
}

class SystemTimer implements Timer {
  constructor(readonly handle: NodeJS.Timeout) {}

  unref(): Timer {
    this.handle.unref()
    return this
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => new SystemTimer(setTimeout(callback, delayMs)),
  setInterval: (callback, intervalMs) => new SystemTimer(setInterval(callback, intervalMs)),
  clearTimer: (timer) => {
    if (timer instanceof SystemTimer) clearTimeout(timer.handle)
  },
}

class ManualTimer implements Timer {
  constructor(
    readonly owner: ManualClock,
    public dueMs: number,
    /** Order among timers due at the same time: the one set first runs first, as in Node. */
    public sequence: number,
    readonly intervalMs: number | undefined,
    readonly callback: () => unknown,
  ) {}

  unref(): Timer {
    return this
  }
}

/**
 * A clock for tests: `now()` stands still until `advance(ms)`, which runs the timers falling due
 * on the way, in order, each at its own time, and awaits what each returns (a periodic task's
 * run), so after `await clock.advance(60_000)` the minute's heartbeats are written.
 *
 * A timer's work must not itself wait on this clock (a timeout set on it would never fire while
 * advance() awaits that work): code that waits for real I/O with a deadline keeps the system clock.
 */
export class ManualClock implements Clock {
  private nowMs: number
  private readonly timers = new Set<ManualTimer>()
  private sequence = 0
  private advancing = false

  /** Starts at the wall clock's time, so timestamps it gives look like ordinary ones. */
  constructor(startMs: number = Date.now()) {
    this.nowMs = startMs
  }

  now(): number {
    return this.nowMs
  }

  setTimeout(callback: () => unknown, delayMs: number): Timer {
    return this.schedule(callback, delayMs, undefined)
  }

  setInterval(callback: () => unknown, intervalMs: number): Timer {
    return this.schedule(callback, intervalMs, atLeastOneMs(intervalMs))
  }

  clearTimer(timer: Timer): void {
    if (timer instanceof ManualTimer && timer.owner === this) this.timers.delete(timer)
  }

  /** Timers set and not yet fired or cleared (intervals count until cleared). */
  get pendingTimers(): number {
    return this.timers.size
  }

  /**
   * Move time forward by `ms`, running every timer due by then in order of due time, `now()`
   * reading each one's due time while it runs, and awaiting each before the next. Rejects with
   * the first error a timer throws (time stays where that timer was due).
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance(${ms}): time only moves forward`)
    // A second advance while one runs (say, from a timer's work) would wait on itself.
    if (this.advancing) throw new Error('ManualClock.advance() is already running')
    this.advancing = true
    const target = this.nowMs + ms
    try {
      for (let timer = this.nextDue(target); timer; timer = this.nextDue(target)) {
        this.nowMs = Math.max(this.nowMs, timer.dueMs)
        if (timer.intervalMs === undefined) {
          this.timers.delete(timer)
        } else {
          timer.dueMs += timer.intervalMs
          timer.sequence = this.sequence++
        }
        await timer.callback()
      }
      this.nowMs = target
    } finally {
      this.advancing = false
    }
  }

  private schedule(callback: () => unknown, delayMs: number, intervalMs: number | undefined): Timer {
    const timer = new ManualTimer(
      this,
      this.nowMs + atLeastOneMs(delayMs),
      this.sequence++,
      intervalMs,
      callback,
    )
    this.timers.add(timer)
    return timer
  }

  private nextDue(target: number): ManualTimer | undefined {
    let next: ManualTimer | undefined
    for (const timer of this.timers) {
      if (timer.dueMs > target) continue
      if (
        !next ||
        timer.dueMs < next.dueMs ||
        (timer.dueMs === next.dueMs && timer.sequence < next.sequence)
      ) {
        next = timer
      }
    }
    return next
  }
}

/** Node runs a timer of 0 ms (or less, or NaN) after 1 ms; an interval of 0 would never let time move on. */
function atLeastOneMs(ms: number): number {
  return Number.isNaN(ms) ? 1 : Math.max(ms, 1)
}
