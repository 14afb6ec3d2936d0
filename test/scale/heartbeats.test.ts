/**
 * 1,000 fake compute hosts in one process, each with its own queue, reporting every second over
 * RabbitMQ to a conductor process that writes MariaDB. For 30 s no host may look down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CellSchema } from '../../src/db/cell/schema.js'
import { connectDb, type Db } from '../../src/db/connect.js'
import { isServiceUp } from '../../src/servicegroup/servicegroup.js'
import { fromDbTime } from '../../src/shared/time.js'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { manage, type ServiceProcess, startService, writeConfig } from '../harness/processes.js'
import { createVhost, type TestVhost } from '../harness/rabbit.js'

const HOSTS = 1000
const SERVICE_DOWN_TIME = 5

describe(`heartbeats of ${HOSTS} hosts at report_interval 1 s`, () => {
  let vhost: TestVhost
  let dbs: TestDatabases
  let cell: Db<CellSchema>
  const procs: ServiceProcess[] = []

  beforeAll(async () => {
    vhost = await createVhost()
    dbs = createDatabases('mysql')
    const conf = writeConfig({
      DEFAULT: {
        transport_url: vhost.url,
        host: 'sim',
        report_interval: 1,
        service_down_time: SERVICE_DOWN_TIME,
        update_resources_interval: 60,
      },
      database: { connection: dbs.cell },
      api_database: { connection: dbs.api },
    })
    await manage([conf], 'api_db', 'sync')
    await manage([conf], 'db', 'sync')
    const conductor = startService('conductor', [conf])
    procs.push(conductor)
    await conductor.waitFor('nova-conductor started')
    const computes = startService('compute', [conf], { args: ['--fake-hosts', String(HOSTS)] })
    procs.push(computes)
    await computes.waitFor('nova-compute started all hosts', 180_000)
    cell = connectDb<CellSchema>(dbs.cell, { poolSize: 1 })
  }, 240_000)

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()))
    await cell?.kysely.destroy()
    await vhost?.drop()
    await dbs?.drop()
  })

  it('keeps every host up for 30 s, and the conductor keeps up', async () => {
    let worstLagMs = 0
    let falseDowns = 0
    const start = Date.now()
    while (Date.now() - start < 30_000) {
      await new Promise((r) => setTimeout(r, 1000))
      const services = await cell.kysely
        .selectFrom('services')
        .select(['last_seen_up', 'created_at', 'forced_down'])
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0)
        .execute()
      expect(services).toHaveLength(HOSTS)
      const now = Date.now()
      for (const s of services) {
        if (!isServiceUp({ ...s, forced_down: Boolean(s.forced_down) }, SERVICE_DOWN_TIME, now)) falseDowns++
        if (s.last_seen_up) worstLagMs = Math.max(worstLagMs, now - fromDbTime(s.last_seen_up).getTime())
      }
    }
    console.log(`${HOSTS} hosts, 30 s: false downs ${falseDowns}, worst report lag ${worstLagMs} ms`)
    expect(falseDowns).toBe(0)
    // A host reports every second (plus up to a second of jitter at start): lag stays well under the down time.
    expect(worstLagMs).toBeLessThan(SERVICE_DOWN_TIME * 1000)
  })
})
