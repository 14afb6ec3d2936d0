import type { ServiceRecord } from '../objects/service.js'
import { fromDbTime, timestampClock } from '../shared/time.js'

/**
 * Nova's DB servicegroup rule: a service is up while its last report (or, before any, its
 * creation) is at most `service_down_time` seconds old and nobody forced it down. "Now" is by
 * default the clock the reports were stamped with, so the two always agree.
 */
export function isServiceUp(
  service: Pick<ServiceRecord, 'forced_down' | 'last_seen_up' | 'created_at'>,
  serviceDownTimeS: number,
  now: number = timestampClock().now(),
): boolean {
  if (service.forced_down) return false
  const last = service.last_seen_up ?? service.created_at
  if (!last) return false
  return Math.abs(now - fromDbTime(last).getTime()) <= serviceDownTimeS * 1000
}
