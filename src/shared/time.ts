import { type Clock, systemClock } from './clock.js'

/**
 * The clock "now" is read from for stored timestamps. A module-level setting, where the services
 * get theirs from Runtime, because dbNow() is called from every store (cell, API, identity, image
 * databases) and from managers that need no clock otherwise: passing one through all of them
 * would touch every constructor for one test concern. It must be the services' clock, or a
 * heartbeat written "now" looks stale or fresh wrongly, so a test that runs services on a
 * ManualClock sets it here as well, and puts the system clock back when done.
 */
let timestamps: Clock = systemClock

/** Stored timestamps come from `clock` until the returned function puts the previous one back. */
export function setTimestampClock(clock: Clock): () => void {
  const previous = timestamps
  timestamps = clock
  return () => {
    timestamps = previous
  }
}

/** Back to the system clock, whatever was set. */
export function resetTimestampClock(): void {
  timestamps = systemClock
}

/** The clock stored timestamps come from. */
export function timestampClock(): Clock {
  return timestamps
}

/**
 * Timestamps are stored as Nova stores them: naive UTC, `YYYY-MM-DD HH:MM:SS.ffffff`, the same
 * text in every database dialect (see db/connect.ts), so they sort and compare as strings. Ours
 * carry milliseconds (`…SS.mmm000`).
 */
export function dbNow(date: Date = new Date(timestamps.now())): string {
  return date.toISOString().replace('T', ' ').replace('Z', '000')
}

/** Parse a stored timestamp back to a Date. */
export function fromDbTime(value: string): Date {
  return new Date(`${value.replace(' ', 'T').slice(0, 23)}Z`)
}

/** The API's `created`/`updated` format: ISO 8601 to the second, with Z. */
export function isoSeconds(value: string | null): string | null {
  if (!value) return null
  return `${value.replace(' ', 'T').slice(0, 19)}Z`
}

/** The API's `launched_at`-style format: microseconds, no zone (as Nova renders them). */
export function isoMicros(value: string | null): string | null {
  if (!value) return null
  // PostgreSQL drops trailing zeros of the fraction (and the dot when it is all zeros).
  const [seconds = '', fraction = ''] = value.replace(' ', 'T').split('.', 2)
  return `${seconds.slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}`
}
