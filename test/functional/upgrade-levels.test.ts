/**
 * `[upgrade_levels]` as the services wire it: `compute = auto` takes its cap from the services
 * rows of the cell database, the API and the conductor share it, and a server still boots and
 * answers its console while an old compute is registered; a compute host (no database) honours
 * `[upgrade_levels] conductor`.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCompute } from '../../src/cmd/compute.js'
import { ControlRuntime } from '../../src/cmd/control-runtime.js'
import { apiDbSync, dbSync } from '../../src/cmd/manage.js'
import { Runtime } from '../../src/cmd/runtime.js'
import { ComputeClient } from '../../src/compute/rpcapi.js'
import { loadConfig } from '../../src/config/config.js'
import type { Instance } from '../../src/objects/instance.js'
import { forgetHub, hubFor, InProcessTransport } from '../../src/rpc/in-process/in-process-transport.js'
import { Rpc } from '../../src/rpc/rpc.js'
import { RpcVersionCapError } from '../../src/rpc/version-cap.js'
import { SERVICE_VERSION } from '../../src/service/versions.js'
import { makeContext } from '../../src/shared/context.js'
import { createLogger } from '../../src/shared/logger.js'
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import { ComputeClient as ApiClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { RecordingTransport } from '../harness/recording-transport.js'

const log = createLogger({ name: 'upgrade-levels-test' })
log.level = process.env.TSNOVA_TEST_LOG ?? 'silent'
const ctx = makeContext()

describe('[upgrade_levels] compute = auto reads the cell database', () => {
  let dbs: TestDatabases
  let rt: ControlRuntime
  const memoryUrl = `memory://upgrade-levels-${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    dbs = createDatabases('sqlite')
    const config = loadConfig([], {
      DEFAULT: { host: 'controller', transport_url: memoryUrl },
      database: { connection: dbs.cell },
      api_database: { connection: dbs.api },
      upgrade_levels: { compute: 'auto' },
    })
    await apiDbSync(config)
    await dbSync(config)
    rt = new ControlRuntime(config, log)
  }, 60_000)

  afterAll(async () => {
    await rt?.close()
    forgetHub(memoryUrl)
    await dbs?.drop()
  })

  const register = async (host: string, version: number, binary = 'nova-compute') =>
    (await rt.localCell()).store.services.getOrCreate({ host, binary, topic: 'compute', version })

  it('follows the oldest live nova-compute, mapped through the service version history', async () => {
    const cap = rt.upgradeLevel('compute')
    // The process has one cap for compute: the API and the conductor read the same cache.
    expect(rt.upgradeLevel('compute')).toBe(cap)
    expect((await cap.current()).version).toBeUndefined()

    await register('new-1', 65)
    await register('old-1', 64)
    // Other binaries do not count.
    await register('controller', 10, 'nova-conductor')
    expect(await cap.current()).toEqual({
      version: '6.0',
      origin: '[upgrade_levels] compute = auto: the oldest nova-compute is at service version 64',
    })

    // What the cap makes a client send: the 6.0 form of get_console_output.
    const transport = new RecordingTransport(new InProcessTransport(hubFor(memoryUrl), log))
    const rpc = new Rpc(transport, log, 5)
    await rpc.serve({ topic: 'compute', server: 'new-1' }, [
      { version: '6.1', endpoint: { get_console_output: async () => 'console\n' } },
    ])
    const instance = { uuid: 'c0a1b2c3-0000-4000-8000-000000000001', host: 'new-1' } as Instance
    expect(await new ComputeClient(rpc, cap).getConsoleOutput(ctx, instance, null)).toBe('console\n')
    expect(transport.sentFor('get_console_output').map((m) => m.version)).toEqual(['6.0'])
    await rpc.close()
  })

  it('a forced-down or deleted compute does not hold the cap back', async () => {
    const versions = rt.serviceVersions()
    expect(await versions.minimumComputeVersion()).toBe(64)
    const old = await (await rt.localCell()).store.services.find('old-1', 'nova-compute')
    await (await rt.localCell()).store.services.update(old!.id, { forced_down: true })
    expect(await versions.minimumComputeVersion()).toBe(65)
    await (await rt.localCell()).store.services.update(old!.id, { forced_down: false })
    expect(await versions.minimumComputeVersion()).toBe(64)
    await (await rt.localCell()).store.services.destroy(old!.id)
    expect(await versions.minimumComputeVersion()).toBe(65)
  })
})

describe('a cloud with [upgrade_levels] compute = auto while an old compute is registered', () => {
  let cloud: Cloud
  let alice: ApiClient

  beforeAll(async () => {
    cloud = await startCloud({
      transport: 'memory',
      db: 'sqlite',
      hosts: ['compute1'],
      config: { upgrade_levels: { compute: 'auto' } },
    })
    alice = new ApiClient(cloud.url, 'alice:project-a')
    // A host still on the previous release (nothing sent to compute has read the cap yet).
    await (await cloud.runtime.localCell()).store.services.getOrCreate({
      host: 'old-compute',
      binary: 'nova-compute',
      topic: 'compute',
      version: 64,
    })
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('boots, and reads the console through the 6.0 form', async () => {
    const id = await alice.createServer('rolling')
    await alice.waitForStatus([id], 'ACTIVE')
    const res = await alice.request('POST', `/v2.1/servers/${id}/action`, {
      'os-getConsoleOutput': { length: '2' },
    })
    expect(res).toMatchObject({ status: 200, body: { output: 'LAST LINE\n' } })
    expect(await cloud.runtime.upgradeLevel('compute').current()).toMatchObject({ version: '6.0' })
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])
  })

  it('a compute host honours [upgrade_levels] conductor: below 3.0 it refuses to register, at 3.0 it runs', async () => {
    const hostConfig = (conductor: string) =>
      loadConfig([], {
        DEFAULT: { host: 'newcomer', transport_url: cloud.transportUrl, report_interval: '1' },
        upgrade_levels: { conductor },
      })
    const driver = () =>
      new FakeDriver({ vcpus: 1, memory_mb: 512, local_gb: 1, spawnDelayS: 0, failBuild: false })

    const tooLow = new Runtime(hostConfig('2.9'), log)
    try {
      const err = await startCompute(tooLow, { driver: driver() }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RpcVersionCapError)
      expect((err as Error).message).toContain(
        'Cannot send service_get_or_create to conductor: it needs RPC version 3.0, above the version cap 2.9 ([upgrade_levels] conductor = 2.9)',
      )
    } finally {
      await tooLow.close()
    }
    expect(
      await (await cloud.runtime.localCell()).store.services.find('newcomer', 'nova-compute'),
    ).toBeUndefined()

    const atCap = new Runtime(hostConfig('3.0'), log)
    try {
      await startCompute(atCap, { driver: driver() })
      const row = await (await cloud.runtime.localCell()).store.services.find('newcomer', 'nova-compute')
      expect(row?.version).toBe(SERVICE_VERSION)
    } finally {
      await atCap.close()
    }
  })
})
