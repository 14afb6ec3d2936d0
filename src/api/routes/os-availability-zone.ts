import type { FastifyInstance } from 'fastify'
import type { AggregateApi } from '../../compute-api/aggregates.js'
import { API_SERVICES, type HostApi, INTERNAL_SERVICE_AVAILABILITY_ZONE } from '../../compute-api/hosts.js'
import { authorizeAdmin } from '../../compute-api/policy.js'
import type { ServiceRecord } from '../../objects/service.js'
import { isoMicros, timestampClock } from '../../shared/time.js'

const POLICY = (action: string) => `os_compute_api:os-availability-zone:${action}`

/**
 * `/os-availability-zone` (anyone: the zones, without hosts and without `internal`) and
 * `/os-availability-zone/detail` (admin: every zone with its hosts' services). A zone is
 * available while one of its services is enabled.
 */
export function osAvailabilityZoneRoutes(
  app: FastifyInstance,
  hosts: HostApi,
  aggregates: AggregateApi,
): void {
  /** Every service with its zone, and the zones with an enabled service / only disabled ones. */
  const describe = async () => {
    const services = await hosts.listServices()
    const zones = await aggregates.serviceZones(services)
    const available = new Set<string>()
    for (const s of services) if (!s.disabled) available.add(zones.get(s)!)
    const notAvailable = new Set<string>()
    for (const s of services) if (s.disabled && !available.has(zones.get(s)!)) notAvailable.add(zones.get(s)!)
    return { services, zones, available: [...available].sort(), notAvailable: [...notAvailable].sort() }
  }

  app.get('/os-availability-zone', async () => {
    const { available, notAvailable } = await describe()
    const entry = (zoneName: string, ok: boolean) => ({ zoneName, zoneState: { available: ok }, hosts: null })
    return {
      availabilityZoneInfo: [
        ...available.filter((z) => z !== INTERNAL_SERVICE_AVAILABILITY_ZONE).map((z) => entry(z, true)),
        ...notAvailable.filter((z) => z !== INTERNAL_SERVICE_AVAILABILITY_ZONE).map((z) => entry(z, false)),
      ],
    }
  })

  app.get('/os-availability-zone/detail', async (request) => {
    authorizeAdmin(request.ctx, POLICY('detail'))
    const { services, zones, available, notAvailable } = await describe()
    const byZone = new Map<string, Map<string, ServiceRecord[]>>()
    for (const s of services) {
      // API services are not kept up like the others: Nova leaves them out (and disabled ones).
      if (s.disabled || API_SERVICES.has(s.binary)) continue
      const zone = zones.get(s)!
      const zoneHosts = byZone.get(zone) ?? new Map<string, ServiceRecord[]>()
      byZone.set(zone, zoneHosts)
      zoneHosts.set(s.host, [...(zoneHosts.get(s.host) ?? []), s])
    }
    const now = timestampClock().now()
    const info: Record<string, unknown>[] = []
    for (const zone of available) {
      const out: Record<string, Record<string, unknown>> = {}
      for (const [host, list] of byZone.get(zone) ?? []) {
        out[host] = {}
        for (const s of list) {
          out[host][s.binary] = {
            available: hosts.isUp(s, now),
            active: !s.disabled,
            updated_at: isoMicros(s.updated_at),
          }
        }
      }
      info.push({ zoneName: zone, zoneState: { available: true }, hosts: out })
    }
    for (const zone of notAvailable)
      info.push({ zoneName: zone, zoneState: { available: false }, hosts: null })
    return { availabilityZoneInfo: info }
  })
}
