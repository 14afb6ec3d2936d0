/**
 * At-least-once delivery: a message redelivered after its consumer died runs again, and must
 * neither lose the server nor build it twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient as ComputeRpcClient } from '../../src/compute/rpcapi.js'
import { ComputeTaskClient } from '../../src/conductor/rpcapi.js'
import { makeContext } from '../../src/shared/context.js'
import { recordBuildRequest } from '../harness/build-requests.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

describeBackends('redelivered messages ($transport + $db)', ({ transport, db }) => {
  let cloud: Cloud
  let client: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({ transport, db, hosts: ['compute1', 'compute2'] })
    client = new ComputeClient(cloud.url, 'demo:demo')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('builds once when schedule_and_build_instances arrives twice', async () => {
    const { br, spec } = await recordBuildRequest(cloud.runtime.apiStore(), 'dup')
    const tasks = new ComputeTaskClient(cloud.runtime.rpc())
    const ctx = makeContext({ userId: 'demo', projectId: 'demo' })
    const args = { build_requests: [br], request_specs: [spec] }
    await Promise.all([
      tasks.scheduleAndBuildInstances(ctx, args),
      tasks.scheduleAndBuildInstances(ctx, args),
    ])
    await client.waitForStatus([br.uuid], 'ACTIVE')
    // And once more, long after the first one finished.
    await tasks.scheduleAndBuildInstances(ctx, args)
    await new Promise((r) => setTimeout(r, 300))
    await cloud.settle()
    const cell = (await cloud.runtime.localCell()).store
    const server = await cell.instances.get(br.uuid)
    expect(server.vm_state).toBe('active')
    const claims = await cell.db.kysely
      .selectFrom('allocations')
      .selectAll()
      .where('consumer_uuid', '=', br.uuid)
      .execute()
    expect(claims).toHaveLength(1)
    expect(claims[0]!.compute_node_id).toBe((await cell.nodes.find(server.host!, server.node!))!.id)
    expect((await client.request('DELETE', `/v2.1/servers/${br.uuid}`)).status).toBe(204)
    await client.waitForGone([br.uuid])
    const left = await cell.db.kysely
      .selectFrom('allocations')
      .selectAll()
      .where('consumer_uuid', '=', br.uuid)
      .execute()
    expect(left).toEqual([])
  })

  it('ignores a duplicate build_and_run_instance for a server already running', async () => {
    const id = await client.createServer('dup-build')
    await client.waitForStatus([id], 'ACTIVE')
    const cell = (await cloud.runtime.localCell()).store
    const instance = await cell.instances.get(id)
    const compute = new ComputeRpcClient(cloud.runtime.rpc())
    const spec = (await cloud.runtime.apiStore().getRequestSpec(id))!
    await compute.buildAndRunInstance(makeContext({ userId: 'demo', projectId: 'demo' }), instance.host!, {
      instance,
      request_spec: spec,
      filter_properties: { retry: { num_attempts: 1, hosts: [] } },
      node: instance.node!,
      host_list: [],
    })
    await new Promise((r) => setTimeout(r, 300))
    await cloud.settle()
    const after = await cell.instances.get(id)
    expect(after.vm_state).toBe('active')
    expect(after.launched_at).toBe(instance.launched_at)
    expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
    await client.waitForGone([id])
  })
})
