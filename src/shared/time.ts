/**
 * Timestamps are stored as Nova stores them: naive UTC, `YYYY-MM-DD HH:MM:SS.ffffff`, the same
 * text in every database dialect (see db/connect.ts), so they sort and compare as strings.
 */
export function dbNow(date: Date = new Date()): string {
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
