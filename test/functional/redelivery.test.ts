/**
 * At-least-once delivery: a message redelivered after its consumer died runs again, and must
 * neither lose the server nor build it twice.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ComputeClient as ComputeRpcClient } from '../../src/compute/rpcapi.js'
import { ComputeTaskClient } from '../../src/conductor/rpcapi.js'
import type { BuildRequestInstance, RequestSpec } from '../../src/objects/instance.js'
import { makeContext } from '../../src/shared/context.js'
import { dbNow } from '../../src/shared/time.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'

describe.each([
  ['memory', 'sqlite'],
  ['amqp', 'mysql'],
] as const)('redelivered messages (%s + %s)', (transport, db) => {
  let cloud: Cloud
  let client: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({ transport, db, hosts: ['compute1', 'compute2'] })
    client = new ComputeClient(cloud.url, 'demo:demo')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  async function buildRequest(): Promise<{ br: BuildRequestInstance; spec: RequestSpec }> {
    const api = cloud.runtime.apiStore()
    const flavor = await api.getFlavor('1')
    const uuid = randomUUID()
    const br: BuildRequestInstance = {
      uuid,
      display_name: 'dup',
      hostname: 'dup',
      project_id: 'demo',
      user_id: 'demo',
      image_ref: randomUUID(),
      flavor,
      availability_zone: null,
      reservation_id: 'r-dup',
      launch_index: 0,
      key_name: null,
      user_data: null,
      metadata: {},
      display_description: null,
      access_ip_v4: null,
      access_ip_v6: null,
      config_drive: null,
      created_at: dbNow(),
    }
    const spec: RequestSpec = {
      instance_uuid: uuid,
      project_id: 'demo',
      user_id: 'demo',
      flavor,
      image_ref: br.image_ref,
      num_instances: 1,
      availability_zone: null,
      scheduler_hints: {},
      ignore_hosts: [],
    }
    await api.createBuildRequests([{ instance: br, spec }])
    return { br, spec }
  }

  it('builds once when schedule_and_build_instances arrives twice', async () => {
    const { br, spec } = await buildRequest()
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
    const cell = cloud.runtime.cellStore()
    const server = await cell.getInstance(br.uuid)
    expect(server.vm_state).toBe('active')
    const claims = await cell.db.kysely
      .selectFrom('allocations')
      .selectAll()
      .where('consumer_uuid', '=', br.uuid)
      .execute()
    expect(claims).toHaveLength(1)
    expect(claims[0]!.compute_node_id).toBe((await cell.findComputeNode(server.host!, server.node!))!.id)
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
    const cell = cloud.runtime.cellStore()
    const instance = await cell.getInstance(id)
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
    const after = await cell.getInstance(id)
    expect(after.vm_state).toBe('active')
    expect(after.launched_at).toBe(instance.launched_at)
    expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
    await client.waitForGone([id])
  })
})
