/**
 * Hostile and careless input: every bad request gets a 4xx in Nova's fault format, never a 500,
 * and the API keeps serving afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeDatabases } from '../harness/matrix.js'

const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

describeDatabases('bad input (memory + $db)', ({ db }) => {
  let cloud: Cloud
  let client: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({ transport: 'memory', db })
    client = new ComputeClient(cloud.url, 'demo:demo')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const create = (body: unknown, microversion = '2.37') =>
    client.as('demo:demo', microversion).request('POST', '/v2.1/servers', body)

  const server = (extra: Record<string, unknown>) => ({
    server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none', ...extra },
  })

  it('rejects a malformed or missing body', async () => {
    for (const body of ['{"server": ', 'not json', '[]', '"server"', '']) {
      const res = await create(body)
      expect(res.status, body).toBe(400)
      expect(Object.keys(res.body as object), body).toEqual(['badRequest'])
    }
    expect((await create('{"server": ')).body).toEqual({
      badRequest: { code: 400, message: 'Malformed request body' },
    })
  })

  it('answers schema violations in Nova words', async () => {
    const noFlavor = await create({ server: { name: 'bad', imageRef: IMAGE, networks: 'none' } })
    expect(noFlavor.status).toBe(400)
    expect((noFlavor.body as { badRequest: { message: string } }).badRequest.message).toBe(
      `Invalid input for field/attribute server. Value: {'name': 'bad', 'imageRef': '${IMAGE}', 'networks': 'none'}. 'flavorRef' is a required property`,
    )
    const networks21 = await create(server({}), '2.1')
    expect(networks21.body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute networks. Value: none. 'none' is not of type 'array'",
      },
    })
    const badFlavor = await create(server({ flavorRef: 'nope' }))
    expect(badFlavor.body).toEqual({ badRequest: { code: 400, message: 'Flavor nope could not be found.' } })
  })

  it('rejects wrong types, sizes and unknown fields', async () => {
    const cases: Record<string, unknown>[] = [
      { name: '' },
      { name: 'x'.repeat(256) },
      { name: 123 },
      { name: null },
      { imageRef: 'not-a-uuid' },
      { imageRef: 42 },
      { flavorRef: '' },
      { flavorRef: { id: 1 } },
      { networks: 'everything' },
      { networks: [1, 2] },
      { networks: undefined },
      { min_count: 0 },
      { min_count: 'abc' },
      { min_count: 3, max_count: 2 },
      { max_count: 100000 },
      { metadata: { k: 1 } },
      { metadata: 'x' },
      { metadata: { ['k'.repeat(300)]: 'v' } },
      { unknown_field: 1 },
      { availability_zone: '' },
      { user_data: 'x'.repeat(70000) },
    ]
    for (const extra of cases) {
      const res = await create(server(extra))
      expect(res.status, JSON.stringify(extra).slice(0, 80)).toBe(400)
      expect(res.body, JSON.stringify(extra).slice(0, 80)).toHaveProperty('badRequest.code', 400)
    }
    expect((await create({ server: { name: 'x' }, extra: 1 })).status).toBe(400)
    const early = await create(server({ networks: [], description: 'only from 2.19' }), '2.18')
    expect(early.status).toBe(400)
  })

  it('refuses prototype pollution and oversized bodies', async () => {
    const proto = await create(`{"server": {"name": "x", "flavorRef": "1", "__proto__": {"isAdmin": true}}}`)
    expect(proto.status).toBe(400)
    const huge = await create(server({ name: 'x'.repeat(2 * 1024 * 1024) }))
    expect(huge.status).toBe(413)
    expect(huge.body).toHaveProperty('overLimit.code', 413)
  })

  it('answers unknown servers, bad list parameters and bad headers with 4xx', async () => {
    for (const id of ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '%00', 'a'.repeat(100)]) {
      expect((await client.request('GET', `/v2.1/servers/${id}`)).status).toBe(404)
      expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(404)
    }
    for (const query of ['limit=abc', 'limit=-1', 'marker=nope', 'name=(']) {
      const res = await client.request('GET', `/v2.1/servers?${query}`)
      expect(res.status, query).toBe(400)
      expect(res.body, query).toHaveProperty('badRequest.code', 400)
    }
    const badVersion = await client.as('demo:demo', 'abc').request('GET', '/v2.1/servers')
    expect(badVersion.status).toBe(400)
    const otherProject = await client.request('GET', '/v2.1/someone-else/servers')
    expect(otherProject.status).toBe(400)
    expect((await client.request('GET', '/v2.1/nothing-here')).status).toBe(404)
  })

  it('still serves afterwards', async () => {
    const id = await client.createServer('after-the-storm')
    await client.waitForStatus([id], 'ACTIVE')
    expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
  })
})
