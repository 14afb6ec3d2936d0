/**
 * What the compute API refuses before it reaches a column or a handler, always in Nova's fault
 * format: access addresses (Nova's ipv4/ipv6 formats; MariaDB refuses what SQLite stored), the
 * admin password, and the framework's own refusals (413, 414, 415, 431, malformed JSON, 404).
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'

const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

/** A raw request, for what fetch refuses to send (oversized headers). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString()
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.each(['sqlite', 'mysql'] as const)('input limits (memory + %s)', (db) => {
  let cloud: Cloud
  let client: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({ transport: 'memory', db })
    client = new ComputeClient(cloud.url, 'demo:demo')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const server = (extra: Record<string, unknown>) => ({
    server: { name: 'x', flavorRef: '1', imageRef: IMAGE, networks: 'none', ...extra },
  })

  it('refuses access addresses that are not addresses, in Nova words', async () => {
    const long = 'x'.repeat(60)
    const v4 = await client.request('POST', '/v2.1/servers', server({ accessIPv4: long }))
    expect(v4.body).toEqual({
      badRequest: {
        code: 400,
        message: `Invalid input for field/attribute accessIPv4. Value: ${long}. '${long}' is not a 'ipv4'`,
      },
    })
    const v6 = await client.request('POST', '/v2.1/servers', server({ accessIPv6: '1.2.3.4' }))
    expect(v6.body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute accessIPv6. Value: 1.2.3.4. '1.2.3.4' is not a 'ipv6'",
      },
    })
  })

  it('stores the longest IPv6 spelling in its compressed form and the server goes ACTIVE', async () => {
    const id = await client.createServer('addressed', {
      accessIPv4: '192.0.2.10',
      accessIPv6: '2001:0db8:0000:0000:0000:ffff:192.0.2.10',
    })
    const [shown] = await client.waitForStatus([id], 'ACTIVE')
    expect(shown).toMatchObject({ accessIPv4: '192.0.2.10', accessIPv6: '2001:db8::ffff:c000:20a' })
    expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
  })

  it('answers with the admin password the client chose, or a fresh random one', async () => {
    const chosen = await client.request<{ server: { id: string; adminPass: string } }>(
      'POST',
      '/v2.1/servers',
      server({ name: 'pw', adminPass: 'my-Secret-1' }),
    )
    expect(chosen.body.server.adminPass).toBe('my-Secret-1')
    const generated = new Set<string>()
    for (const name of ['pw1', 'pw2']) {
      const res = await client.request<{ server: { id: string; adminPass: string } }>(
        'POST',
        '/v2.1/servers',
        server({ name }),
      )
      expect(res.body.server.adminPass).toMatch(/^[2-9A-HJ-NP-Za-km-z]{12}$/)
      generated.add(res.body.server.adminPass)
    }
    expect(generated.size).toBe(2)
    const bad = await client.request('POST', '/v2.1/servers', server({ adminPass: 42 }))
    expect(bad.body).toEqual({
      badRequest: {
        code: 400,
        message: "Invalid input for field/attribute adminPass. Value: 42. 42 is not of type 'string'",
      },
    })
  })

  it("answers the framework's refusals in Nova's fault format", async () => {
    const longId = await client.request('GET', `/v2.1/servers/${'a'.repeat(300)}`)
    expect(longId.status).toBe(414)
    expect(longId.body).toEqual({
      computeFault: { code: 414, message: 'The request URI was too long for this server.' },
    })

    const headers = await rawGet(`${cloud.url}/v2.1/servers`, {
      'x-auth-token': 'demo:demo',
      'x-padding': 'p'.repeat(20_000),
    })
    expect(headers.status).toBe(431)
    expect(JSON.parse(headers.body)).toEqual({
      computeFault: { code: 431, message: 'The request header fields were too large.' },
    })

    const huge = await client.request('POST', '/v2.1/servers', server({ name: 'x'.repeat(2 * 1024 * 1024) }))
    expect(huge.body).toEqual({ overLimit: { code: 413, message: 'Request is too large.' } })

    const xml = await fetch(`${cloud.url}/v2.1/servers`, {
      method: 'POST',
      headers: { 'x-auth-token': 'demo:demo', 'content-type': 'application/xml' },
      body: '<server/>',
    })
    expect(xml.status).toBe(415)
    expect(await xml.json()).toEqual({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } })

    const malformed = await client.request('POST', '/v2.1/servers', '{"server": [')
    expect(malformed.body).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } })

    const nowhere = await client.request('GET', '/v2.1/no-such-thing')
    expect(nowhere.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } })
    // Nova's router answers a method a path lacks as it answers an unknown path.
    const wrongMethod = await client.request('PATCH', '/v2.1/servers')
    expect(wrongMethod.body).toEqual({
      itemNotFound: { code: 404, message: 'The resource could not be found.' },
    })
  })
})
