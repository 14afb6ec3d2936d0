/** The manual clock, and what goes by it: periodic tasks, heartbeats, stored timestamps, liveness. */
import { afterEach, describe, expect, it } from 'vitest'
import { PeriodicTask, Service, type ServiceReporter } from '../../src/service/service.js'
import { isServiceUp } from '../../src/servicegroup/servicegroup.js'
import { ManualClock, systemClock } from '../../src/shared/clock.js'
import { createLogger } from '../../src/shared/logger.js'
import {
  dbNow,
  fromDbTime,
  resetTimestampClock,
  setTimestampClock,
  timestampClock,
} from '../../src/shared/time.js'

const log = createLogger({ name: 'clock-test' })
log.level = 'silent'

const START = Date.UTC(2024, 0, 15, 12, 0, 0)

describe('ManualClock', () => {
  it('stands still until advanced, then runs due timers in order, each at its own time', async () => {
    const clock = new ManualClock(START)
    const ran: [string, number][] = []
    clock.setTimeout(() => ran.push(['b', clock.now() - START]), 2000)
    clock.setTimeout(() => ran.push(['a', clock.now() - START]), 1000)
    clock.setTimeout(() => ran.push(['a2', clock.now() - START]), 1000)
    clock.setTimeout(() => ran.push(['late', clock.now() - START]), 5000)
    expect(clock.now()).toBe(START)
    await clock.advance(2000)
    expect(ran).toEqual([
      ['a', 1000],
      ['a2', 1000],
      ['b', 2000],
    ])
    expect(clock.now()).toBe(START + 2000)
    expect(clock.pendingTimers).toBe(1)
  })

  it('awaits the work each timer starts before running the next', async () => {
    const clock = new ManualClock(START)
    const events: string[] = []
    clock.setTimeout(async () => {
      events.push('first started')
      await new Promise((r) => setTimeout(r, 20))
      events.push('first done')
    }, 10)
    clock.setTimeout(() => events.push('second'), 20)
    await clock.advance(20)
    expect(events).toEqual(['first started', 'first done', 'second'])
  })

  it('repeats intervals until cleared, and runs timers set on the way that fall due', async () => {
    const clock = new ManualClock(START)
    const ticks: number[] = []
    const interval = clock.setInterval(() => {
      ticks.push(clock.now() - START)
      if (ticks.length === 2) clock.setTimeout(() => ticks.push(-(clock.now() - START)), 500)
    }, 1000)
    await clock.advance(3000)
    expect(ticks).toEqual([1000, 2000, -2500, 3000])
    clock.clearTimer(interval)
    await clock.advance(10_000)
    expect(ticks).toHaveLength(4)
    expect(clock.pendingTimers).toBe(0)
  })

  it('runs a 0 ms timer 1 ms later, as Node does', async () => {
    const clock = new ManualClock(START)
    let ranAt: number | undefined
    clock.setTimeout(() => {
      ranAt = clock.now()
    }, 0)
    await clock.advance(0)
    expect(ranAt).toBeUndefined()
    await clock.advance(1)
    expect(ranAt).toBe(START + 1)
  })

  it('refuses to go back, or to advance while advancing', async () => {
    const clock = new ManualClock(START)
    await expect(clock.advance(-1)).rejects.toThrow(/only moves forward/)
    let nested: Promise<string> | undefined
    clock.setTimeout(() => {
      nested = clock.advance(1).then(
        () => 'advanced',
        (err: Error) => err.message,
      )
    }, 1)
    await clock.advance(1)
    expect(await nested).toMatch(/already running/)
  })

  it('passes on a timer that fails, time standing where it was due', async () => {
    const clock = new ManualClock(START)
    clock.setTimeout(() => {
      throw new Error('boom')
    }, 100)
    await expect(clock.advance(1000)).rejects.toThrow('boom')
    expect(clock.now()).toBe(START + 100)
  })
})

describe('periodic tasks on a manual clock', () => {
  it('run after their initial delay and then every interval, surviving failures, until stopped', async () => {
    const clock = new ManualClock(START)
    const runs: number[] = []
    const task = new PeriodicTask(
      'test',
      10,
      async () => {
        runs.push(clock.now() - START)
        if (runs.length === 2) throw new Error('a bad run')
      },
      log,
      clock,
    )
    task.start(3)
    await clock.advance(35_000)
    expect(runs).toEqual([3000, 13_000, 23_000, 33_000])
    task.stop()
    expect(clock.pendingTimers).toBe(0)
    await clock.advance(60_000)
    expect(runs).toHaveLength(4)
  })

  it('a service reports once at start and then every report_interval', async () => {
    const clock = new ManualClock(START)
    const reports: number[] = []
    const reporter: ServiceReporter = {
      register: async () => 7,
      report: async (id) => {
        expect(id).toBe(7)
        reports.push(clock.now() - START)
      },
    }
    const service = new Service('nova-test', 'host1', reporter, 10, log, clock)
    await service.start()
    expect(reports).toEqual([0])
    await clock.advance(30_000)
    // The first periodic report is jittered within the first interval; then one every 10 s.
    expect(reports).toHaveLength(4)
    expect(reports[2]! - reports[1]!).toBe(10_000)
    expect(reports[3]! - reports[2]!).toBe(10_000)
    await service.stop()
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('stored timestamps and liveness', () => {
  afterEach(() => resetTimestampClock())

  it('dbNow() reads the timestamp clock, in the stored format', () => {
    expect(timestampClock()).toBe(systemClock)
    const clock = new ManualClock(START + 123)
    const restore = setTimestampClock(clock)
    expect(dbNow()).toBe('2024-01-15 12:00:00.123000')
    expect(fromDbTime(dbNow()).getTime()).toBe(START + 123)
    restore()
    expect(timestampClock()).toBe(systemClock)
  })

  it('isServiceUp compares a report with the clock that stamped it', async () => {
    const clock = new ManualClock(START)
    setTimestampClock(clock)
    const service = { forced_down: false, last_seen_up: dbNow(), created_at: dbNow() }
    await clock.advance(60_000)
    expect(isServiceUp(service, 60)).toBe(true)
    await clock.advance(1)
    expect(isServiceUp(service, 60)).toBe(false)
  })
})
