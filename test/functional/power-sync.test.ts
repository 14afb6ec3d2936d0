/**
 * The hypervisor is the truth about power (Nova's `_sync_power_states`): a guest that shuts
 * itself down makes its server SHUTOFF; a STOPPED server whose guest runs is stopped again; a
 * guest paused behind compute's back, or lost, changes only the power state shown.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { PowerState } from '../../src/objects/states.js'
import { ManualClock } from '../../src/shared/clock.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'

describe('power state sync (memory + sqlite)', () => {
  let cloud: Cloud
  let clock: ManualClock
  let client: ComputeClient
  const driver = new FakeDriver({
    vcpus: 8,
    memory_mb: 8192,
    local_gb: 100,
    spawnDelayS: 0,
    failBuild: false,
  })

  beforeAll(async () => {
    // The sync runs when the test moves the clock on, not every real second.
    clock = new ManualClock()
    cloud = await startCloud({
      transport: 'memory',
      db: 'sqlite',
      hosts: [],
      clock,
      config: { DEFAULT: { sync_power_state_interval: '1' } },
    })
    await startCompute(cloud.runtime, { host: 'pwr', driver })
    client = new ComputeClient(cloud.url, 'admin:admin', '2.37')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('stops a server whose guest shut down, and leaves running ones alone', async () => {
    const [a, b] = await Promise.all([client.createServer('a'), client.createServer('b')])
    await client.waitForStatus([a!, b!], 'ACTIVE')
    driver.simulatePowerState(a!, PowerState.SHUTDOWN)
    // One sync_power_state_interval: every sync due by then has run, and advance() awaited it.
    await clock.advance(1000)
    const [stopped] = await client.waitForStatus([a!], 'SHUTOFF', 5_000)
    expect(stopped!['OS-EXT-STS:power_state']).toBe(PowerState.SHUTDOWN)
    expect(stopped!['OS-EXT-STS:vm_state']).toBe('stopped')
    expect((await client.getServer(b!)).body.server.status).toBe('ACTIVE')
  })

  const show = async (id: string) => (await client.getServer(id)).body.server

  it('stops a server whose guest suspended itself, and a paused one whose guest shut down', async () => {
    const [a, b] = await Promise.all([client.createServer('self-suspended'), client.createServer('paused')])
    await client.waitForStatus([a!, b!], 'ACTIVE')
    await client.request('POST', `/v2.1/servers/${b}/action`, { pause: null })
    await client.waitForStatus([b!], 'PAUSED')
    driver.simulatePowerState(a!, PowerState.SUSPENDED)
    driver.simulatePowerState(b!, PowerState.SHUTDOWN)
    await clock.advance(1000)
    const stopped = await client.waitForStatus([a!, b!], 'SHUTOFF', 5_000)
    for (const s of stopped) expect(s['OS-EXT-STS:power_state']).toBe(PowerState.SHUTDOWN)
    expect((await driver.getInfo({ uuid: a! } as never))?.power_state).toBe(PowerState.SHUTDOWN)
  })

  it('powers off again the guest of a STOPPED server that runs', async () => {
    const id = await client.createServer('restarted-behind-our-back')
    await client.waitForStatus([id], 'ACTIVE')
    await client.request('POST', `/v2.1/servers/${id}/action`, { 'os-stop': null })
    await client.waitForStatus([id], 'SHUTOFF')
    driver.simulatePowerState(id, PowerState.RUNNING)
    await clock.advance(1000)
    await vi.waitFor(async () => expect((await show(id))['OS-EXT-STS:task_state']).toBeNull())
    expect(await show(id)).toMatchObject({ status: 'SHUTOFF', 'OS-EXT-STS:power_state': PowerState.SHUTDOWN })
    expect((await driver.getInfo({ uuid: id } as never))?.power_state).toBe(PowerState.SHUTDOWN)
  })

  it('only shows the power state of a guest paused behind its back, or lost (Nova ignores both)', async () => {
    const [paused, lost] = await Promise.all([client.createServer('odd-pause'), client.createServer('lost')])
    await client.waitForStatus([paused!, lost!], 'ACTIVE')
    driver.simulatePowerState(paused!, PowerState.PAUSED)
    await driver.destroy({ uuid: lost! } as never)
    await clock.advance(1000)
    await vi.waitFor(async () =>
      expect((await show(paused!))['OS-EXT-STS:power_state']).toBe(PowerState.PAUSED),
    )
    expect((await show(paused!)).status).toBe('ACTIVE')
    expect(await show(lost!)).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-STS:power_state': PowerState.NOSTATE,
    })
  })
})
