import type { ServiceRecord } from '../../objects/service.js'
import { isoMicros } from '../../shared/time.js'
import type { ApiVersion } from '../microversion.js'

export interface ServiceViewOptions {
  readonly version: ApiVersion
  readonly up: boolean
  readonly zone: string
}

/**
 * One service as `GET /os-services` shows it: integer id before 2.53 and the uuid from then,
 * `forced_down` from 2.11, `updated_at` with microseconds and no zone (as Nova renders it).
 */
export function serviceDetail(s: ServiceRecord, o: ServiceViewOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: o.version.atLeast('2.53') ? s.uuid : s.id,
    binary: s.binary,
    host: s.host,
    zone: o.zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: o.up ? 'up' : 'down',
    updated_at: isoMicros(s.updated_at),
    disabled_reason: s.disabled_reason,
  }
  if (o.version.atLeast('2.11')) body.forced_down = s.forced_down
  return body
}
