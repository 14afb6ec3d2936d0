import type { Subscription } from '../rpc/transport.js'
import { type Clock, systemClock, type Timer } from '../shared/clock.js'
import type { Logger } from '../shared/logger.js'

export { SERVICE_VERSION } from './versions.js'

/** How a service records its liveness: directly in the DB, or through the conductor. */
export interface ServiceReporter {
  register(): Promise<number>
  report(serviceId: number): Promise<void>
}

/** A periodic task: runs every `intervalS`, never overlapping itself, never killing the service. */
export class PeriodicTask {
  private timer: Timer | undefined
  private running = false

  constructor(
    readonly name: string,
    private readonly intervalS: number,
    private readonly fn: () => Promise<void>,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Start after `initialDelayS` (jittered by the caller so thousands of hosts do not align). */
  start(initialDelayS: number): void {
    if (this.intervalS <= 0) return
    const tick = async () => {
      if (this.running) return
      this.running = true
      try {
        await this.fn()
      } catch (err) {
        this.log.warn({ err, task: this.name }, 'periodic task failed')
      } finally {
        this.running = false
      }
    }
    // Each run's promise goes back to the clock: a test's ManualClock awaits it.
    this.timer = this.clock
      .setTimeout(() => {
        this.timer = this.clock.setInterval(tick, this.intervalS * 1000).unref()
        return tick()
      }, initialDelayS * 1000)
      .unref()
  }

  stop(): void {
    if (this.timer) this.clock.clearTimer(this.timer)
    this.timer = undefined
  }
}

/**
 * A running service: its RPC subscriptions, its services row with the heartbeat that keeps it
 * up, and its periodic tasks. Stopping it stops all of them.
 */
export class Service {
  private readonly tasks: PeriodicTask[] = []
  private readonly subscriptions: Subscription[] = []
  serviceId: number | undefined
  private lostReporting = false

  constructor(
    readonly binary: string,
    readonly host: string,
    private readonly reporter: ServiceReporter,
    private readonly reportIntervalS: number,
    readonly log: Logger,
    /** What its heartbeat and periodic tasks are timed by (a test's ManualClock). */
    private readonly clock: Clock = systemClock,
  ) {}

  async start(): Promise<void> {
    this.serviceId = await this.reporter.register()
    const id = this.serviceId
    const heartbeat = new PeriodicTask(
      'report_state',
      this.reportIntervalS,
      async () => {
        try {
          await this.reporter.report(id)
          if (this.lostReporting) this.log.info('Recovered connection for reporting service status.')
          this.lostReporting = false
        } catch (err) {
          // Logged once until it recovers; the next interval tries again.
          if (!this.lostReporting) this.log.error({ err }, 'Lost connection for reporting service status.')
          this.lostReporting = true
        }
      },
      this.log,
      this.clock,
    )
    heartbeat.start(Math.random() * this.reportIntervalS)
    this.tasks.push(heartbeat)
    // Report right away too: a new service should be up as soon as it serves.
    await this.reporter.report(id).catch(() => undefined)
  }

  addTask(
    name: string,
    intervalS: number,
    fn: () => Promise<void>,
    initialDelayS = Math.random() * intervalS,
  ): void {
    const task = new PeriodicTask(name, intervalS, fn, this.log, this.clock)
    task.start(initialDelayS)
    this.tasks.push(task)
  }

  addSubscription(sub: Subscription): void {
    this.subscriptions.push(sub)
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) t.stop()
    for (const s of this.subscriptions) await s.close().catch(() => undefined)
  }
}
