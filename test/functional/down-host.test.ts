/**
 * Actions on a server whose compute host is down, on a manual clock (the host is down once
 * service_down_time has passed since its last heartbeat, without waiting for it): what the API
 * would have to wait an RPC timeout for (console output, remote consoles, a password change) is
 * refused at once, as Nova's `check_instance_host(check_is_up=True)` refuses; what it casts (a
 * stop) waits in the host's queue, as in Nova, and is done when the host is back.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { ManualClock } from '../../src/shared/clock.js'
import { fromDbTime } from '../../src/shared/time.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'
import { act, fakeDriver, fault, settledAs } from '../harness/server-actions.js'

const SERVICE_DOWN_TIME_S = 60

describeBackends('actions on a server whose host is down, over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let clock: ManualClock
  let owner: ComputeClient
  let server: string
  const driver = fakeDriver()

  beforeAll(async () => {
    clock = new ManualClock()
    cloud = await startCloud({
      transport,
      db,
      hosts: [],
      clock,
      config: { DEFAULT: { report_interval: '10', service_down_time: String(SERVICE_DOWN_TIME_S) } },
    })
    const doomed = await startCompute(cloud.runtime, { host: 'doomed', driver })
    owner = new ComputeClient(cloud.url, 'alice:demo', '2.37')
    server = await owner.createServer('stranded')
    await settledAs(owner, server, 'ACTIVE')

    await doomed.stop()
    const cell = (await cloud.runtime.localCell()).store
    const lastSeen = fromDbTime((await cell.services.find('doomed', 'nova-compute'))!.last_seen_up!).getTime()
    await clock.advance(lastSeen + SERVICE_DOWN_TIME_S * 1000 + 1 - clock.now())
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const unavailable = fault(409, 'Service is unavailable at this time.')

  it('os-getConsoleOutput answers 409 at once instead of waiting for the RPC timeout', async () => {
    const started = Date.now()
    const res = await act(owner, server, { 'os-getConsoleOutput': { length: 5 } })
    expect(res.body).toEqual(unavailable)
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('remote consoles and changePassword too, and the server is left as it was', async () => {
    expect(
      (await act(owner.as('alice:demo', '2.5'), server, { 'os-getVNCConsole': { type: 'novnc' } })).body,
    ).toEqual(unavailable)
    const remote = await owner.request('POST', `/v2.1/servers/${server}/remote-consoles`, {
      remote_console: { protocol: 'vnc', type: 'novnc' },
    })
    expect(remote.body).toEqual(unavailable)
    expect((await act(owner, server, { changePassword: { adminPass: 'x' } })).body).toEqual(unavailable)
    expect((await owner.getServer(server)).body.server).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:task_state': null,
    })
  })

  it('a stop is accepted and waits in the host’s queue; the host back up carries it out', async () => {
    expect((await act(owner, server, { 'os-stop': null })).status).toBe(202)
    expect((await owner.getServer(server)).body.server['OS-EXT-STS:task_state']).toBe('powering-off')
    await startCompute(cloud.runtime, { host: 'doomed', driver })
    expect(await settledAs(owner, server, 'SHUTOFF')).toMatchObject({ 'OS-EXT-STS:power_state': 4 })
  })
})
