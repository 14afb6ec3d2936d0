/** The hypervisor is the truth about power: a guest that shuts itself down makes its server SHUTOFF. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
})
