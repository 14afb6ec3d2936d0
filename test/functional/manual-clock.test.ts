/**
 * A cloud on a manual clock, at Nova's own intervals (report every 10 s, down after 60 s, re-drive
 * what stood still for 20 s every 10 s) without waiting for any of them: heartbeats, liveness and
 * the conductor's re-drive all go by the clock the test moves.
 *
 * The scheduler and the os-services / os-hypervisors views still read the wall clock (see
 * CloudOptions.clock): service_down_time is long enough here that hosts stay up for them however
 * far these tests move the clock, and liveness is asserted where it follows the clock (the
 * services table, a server's host_status).
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { CellStore } from '../../src/db/cell/cell-store.js'
import { isServiceUp } from '../../src/servicegroup/servicegroup.js'
import { ManualClock } from '../../src/shared/clock.js'
import { fromDbTime } from '../../src/shared/time.js'
import { recordBuildRequest } from '../harness/build-requests.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

const SERVICE_DOWN_TIME_S = 60
const REDRIVE_THRESHOLD_S = 20
const REDRIVE_INTERVAL_S = 10

describeBackends('services on a manual clock over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let clock: ManualClock
  let admin: ComputeClient

  beforeAll(async () => {
    clock = new ManualClock()
    cloud = await startCloud({
      transport,
      db,
      hosts: ['compute1', 'compute2'],
      clock,
      config: {
        DEFAULT: { report_interval: '10', service_down_time: String(SERVICE_DOWN_TIME_S) },
        conductor: {
          redrive_threshold: String(REDRIVE_THRESHOLD_S),
          redrive_interval: String(REDRIVE_INTERVAL_S),
        },
      },
    })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.37')
    const local = (await cloud.runtime.localCell()).store
    cell = () => local
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const api = () => cloud.runtime.apiStore()
  let cell: () => CellStore
  const computeService = async (host: string) => (await cell().services.find(host, 'nova-compute'))!

  it('re-drives a create no conductor took once it stood still for redrive_threshold, not before', async () => {
    const { br } = await recordBuildRequest(api(), 'lost-create')
    // Every pass so far saw it at most redrive_threshold old.
    await clock.advance(REDRIVE_THRESHOLD_S * 1000)
    expect(await api().getBuildRequest(br.uuid)).toBeDefined()
    expect(await cell().instances.find(br.uuid)).toBeUndefined()
    // One pass falls in any redrive_interval, and this one finds it older than the threshold.
    await clock.advance(REDRIVE_INTERVAL_S * 1000)
    await admin.waitForStatus([br.uuid], 'ACTIVE')
    expect(await api().getBuildRequest(br.uuid)).toBeUndefined()
  })

  it('shows a compute that stopped reporting as down once service_down_time has passed, not a moment before', async () => {
    const id = await admin.createServer('on-compute2', { availability_zone: 'nova:compute2' })
    await admin.waitForStatus([id], 'ACTIVE')
    const hostStatus = async () => (await admin.getServer(id)).body.server.host_status
    expect(await hostStatus()).toBe('UP')

    await cloud.computes.get('compute2')!.stop()
    const lastReport = fromDbTime((await computeService('compute2')).last_seen_up!).getTime()
    await clock.advance(lastReport + SERVICE_DOWN_TIME_S * 1000 - clock.now())
    expect(isServiceUp(await computeService('compute2'), SERVICE_DOWN_TIME_S)).toBe(true)
    expect(await hostStatus()).toBe('UP')

    await clock.advance(1)
    expect(isServiceUp(await computeService('compute2'), SERVICE_DOWN_TIME_S)).toBe(false)
    expect(await hostStatus()).toBe('DOWN')
    // The rest kept reporting, on the same clock.
    const others = (await cell().services.list()).filter((s) => s.host !== 'compute2')
    expect(others.length).toBeGreaterThan(3)
    for (const s of others)
      expect([s.host, s.binary, isServiceUp(s, SERVICE_DOWN_TIME_S)]).toEqual([s.host, s.binary, true])
  })
})
