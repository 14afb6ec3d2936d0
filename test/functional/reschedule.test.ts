/**
 * A host that fails every build: its servers are rebuilt on the alternates the scheduler gave
 * with the first choice, without asking the scheduler again; with no alternate left the server
 * is ERROR with Nova's "Exceeded maximum number of retries" fault.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

describeBackends('rescheduling on alternates ($transport + $db)', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient

  beforeAll(async () => {
    // Two good hosts, small; one broken host, bigger in every way, so the weighers pick it first.
    cloud = await startCloud({
      transport,
      db,
      hosts: ['good-1', 'good-2'],
      config: { fake: { memory_mb: '8192' } },
    })
    const broken = new FakeDriver({
      vcpus: 4000,
      memory_mb: 262144,
      local_gb: 1_000_000,
      spawnDelayS: 0,
      failBuild: true,
    })
    await startCompute(cloud.runtime, { host: 'broken', driver: broken })
    admin = new ComputeClient(cloud.url, 'admin:admin', '2.37')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('builds on an alternate when the chosen host fails', async () => {
    const id = await admin.createServer('retry-me')
    const [server] = await admin.waitForStatus([id], 'ACTIVE')
    expect(['good-1', 'good-2']).toContain(server!['OS-EXT-SRV-ATTR:host'])
    // The create action shows both attempts: the failure on the broken host, and why.
    const actions = await admin
      .as('admin:admin', '2.84')
      .request<{ instanceActions: { request_id: string }[] }>(
        'GET',
        `/v2.1/servers/${id}/os-instance-actions`,
      )
    const requestId = actions.body.instanceActions[0]!.request_id
    const shown = await admin
      .as('admin:admin', '2.84')
      .request<{ instanceAction: { message: string; events: Record<string, unknown>[] } }>(
        'GET',
        `/v2.1/servers/${id}/os-instance-actions/${requestId}`,
      )
    const attempts = shown.body.instanceAction.events.map((e) => [e.event, e.host, e.result])
    expect(attempts).toEqual([
      ['compute__do_build_and_run_instance', server!['OS-EXT-SRV-ATTR:host'], 'Success'],
      ['compute__do_build_and_run_instance', 'broken', 'Error'],
    ])
    expect(shown.body.instanceAction.events[1]!.details).toMatch(/was re-scheduled: /)
    // The broken host reports its failed build right after it (BuildFailureWeigher reads it).
    let broken = await (await cloud.runtime.localCell()).store.nodes.find('broken', 'broken')
    for (let i = 0; i < 40 && Number(broken!.failed_builds) === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      broken = await (await cloud.runtime.localCell()).store.nodes.find('broken', 'broken')
    }
    expect(Number(broken!.failed_builds)).toBeGreaterThan(0)
    // Its claim on the broken host was given back.
    expect(broken!.memory_mb_allocated).toBe(0)
    await admin.request('DELETE', `/v2.1/servers/${id}`)
    await admin.waitForGone([id])
  })

  it('gives up after max_attempts with Nova fault', async () => {
    // m1.xlarge (16384 MB) fits only the broken host: no alternate exists.
    const id = await admin.createServer('nowhere-else', { flavorRef: '5' })
    const [server] = await admin.waitForStatus([id], 'ERROR')
    expect((server!.fault as { message: string }).message).toBe(
      `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${id}.`,
    )
    await admin.request('DELETE', `/v2.1/servers/${id}`)
    await admin.waitForGone([id])
  })
})
