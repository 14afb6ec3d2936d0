import { HostApi } from '../compute/host-api.js'
import type { Config } from '../config/config.js'
import { CellStore } from '../db/cell/cell-store.js'
import type { CellSchema } from '../db/cell/schema.js'
import { connectDb } from '../db/connect.js'
import { isoMicros } from '../shared/time.js'
import { formatTable } from './table.js'

/**
 * `tsnova service list`: the services of the cell database as `openstack compute service list`
 * shows them (the same services, states and zones as `GET /os-services` at the latest version).
 */
export async function serviceList(config: Config, filter: { host?: string; binary?: string } = {}) {
  const cell = new CellStore(connectDb<CellSchema>(config.database.connection, { poolSize: 1 }))
  try {
    const hosts = new HostApi(cell, {
      serviceDownTimeS: config.service_down_time,
      defaultAvailabilityZone: config.default_availability_zone,
    })
    const services = await hosts.listServices(filter)
    const now = Date.now()
    return formatTable(
      ['ID', 'Binary', 'Host', 'Zone', 'Status', 'State', 'Updated At'],
      services.map((s) => [
        s.uuid,
        s.binary,
        s.host,
        hosts.zone(s),
        s.disabled ? 'disabled' : 'enabled',
        hosts.isUp(s, now) ? 'up' : 'down',
        isoMicros(s.updated_at),
      ]),
    )
  } finally {
    await cell.close()
  }
}
