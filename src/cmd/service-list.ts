import { AggregateApi } from '../compute-api/aggregates.js'
import { HostApi } from '../compute-api/hosts.js'
import type { Config } from '../config/config.js'
import { AggregateStore } from '../db/api/aggregate-store.js'
import { createLogger } from '../shared/logger.js'
import { isoMicros, timestampClock } from '../shared/time.js'
import { ControlRuntime } from './control-runtime.js'
import { formatTable } from './table.js'

/**
 * `tsnova service list`: the services of every cell database as `openstack compute service list`
 * shows them (the same services, states and zones as `GET /os-services` at the latest version):
 * a compute in its host's zone aggregates' zone (the API database's aggregates), else in
 * `default_availability_zone`; every other service in `internal`.
 */
export async function serviceList(config: Config, filter: { host?: string; binary?: string } = {}) {
  const log = createLogger({ name: 'tsnova' })
  log.level = 'warn'
  const rt = new ControlRuntime(config, log)
  try {
    // The zones as the API computes them (os-services), from the same code.
    const aggregates = new AggregateApi(new AggregateStore(rt.apiStore().db), rt.cells(), {
      defaultAvailabilityZone: config.default_availability_zone,
    })
    const hosts = new HostApi(rt.cells(), {
      serviceDownTimeS: config.service_down_time,
      defaultAvailabilityZone: config.default_availability_zone,
      serviceZones: async (services) => {
        try {
          return await aggregates.serviceZones(services)
        } catch (err) {
          throw new Error(
            `cannot read the availability zones (host aggregates) from [api_database] connection: ${(err as Error).message}`,
          )
        }
      },
    })
    const services = await hosts.listServices(filter)
    const zones = await hosts.zones(services)
    const now = timestampClock().now()
    return formatTable(
      ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At'],
      services.map((s) => [
        s.uuid,
        s.binary,
        s.host,
        zones.get(s) ?? hosts.zone(s),
        s.disabled ? 'disabled' : 'enabled',
        hosts.isUp(s, now) ? 'up' : 'down',
        isoMicros(s.updated_at),
      ]),
    )
  } finally {
    await rt.close()
  }
}
