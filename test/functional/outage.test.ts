/**
 * A database or broker outage answers 503 in each API's own format, never 500 or 400: the
 * classifier on the drivers' real errors, then a cloud whose API database is dropped under it.
 */
import mysql from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ListeningServer, startIdentity, startImage } from '../../src/cmd/identity-image.js'
import { dropDatabase } from '../../src/db/connect.js'
import { errorAnswer } from '../../src/shared/error-answer.js'
import { Invalid, MessagingUnavailable } from '../../src/shared/errors.js'
import { isOutage } from '../../src/shared/outage.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'

const WORDING = { internal: 'internal', byStatus: {} }

describe('the outage classifier', () => {
  it("recognises the drivers' own connection failures", async () => {
    // Nothing listens on port 1: both drivers fail as they do when the server is down.
    const mysqlError = await mysql.createConnection({ host: '127.0.0.1', port: 1, user: 'root' }).then(
      () => undefined,
      (err: unknown) => err,
    )
    const pgClient = new pg.Client({ host: '127.0.0.1', port: 1, user: 'postgres' })
    const pgError = await pgClient.connect().then(
      () => undefined,
      (err: unknown) => err,
    )
    for (const err of [mysqlError, pgError]) {
      expect(isOutage(err), String(err)).toBe(true)
      expect(errorAnswer(err, WORDING)).toEqual({
        status: 503,
        message: 'The server is currently unavailable. Please try again at a later time.',
        unexpected: false,
      })
    }
  })

  it('recognises lost connections, full servers, shutdowns, busy SQLite and the broker', () => {
    const outages: unknown[] = [
      Object.assign(new Error('Connection lost: The server closed the connection.'), {
        code: 'PROTOCOL_CONNECTION_LOST',
        fatal: true,
      }),
      Object.assign(new Error('Too many connections'), { code: 'ER_CON_COUNT_ERROR', errno: 1040 }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      new MessagingUnavailable('the message broker cannot be reached'),
    ]
    for (const err of outages) expect(isOutage(err), String(err)).toBe(true)
    expect(errorAnswer(outages.at(-1), WORDING).status).toBe(503)
  })

  it('leaves the request’s own faults and real bugs alone', () => {
    const notOutages: unknown[] = [
      Object.assign(new Error('Duplicate entry'), { code: 'ER_DUP_ENTRY' }),
      Object.assign(new Error('value too long for type character varying(255)'), { code: '22001' }),
      Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      new Invalid('bad'),
    ]
    for (const err of notOutages) expect(isOutage(err), String(err)).toBe(false)
  })
})

describe('an API database dropped under a running cloud (PostgreSQL)', () => {
  let cloud: Cloud
  let identity: ListeningServer
  let image: ListeningServer

  beforeAll(async () => {
    cloud = await startCloud({ transport: 'memory', db: 'postgres' })
    identity = await startIdentity(cloud.runtime, { host: '127.0.0.1', port: 0 })
    image = await startImage(cloud.runtime, { host: '127.0.0.1', port: 0 })
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('answers 503 from all three APIs, each in its own format', async () => {
    const client = new ComputeClient(cloud.url, 'demo:demo')
    expect((await client.request('GET', '/v2.1/flavors')).status).toBe(200)
    await dropDatabase(cloud.dbUrls.api)

    const flavors = await client.request('GET', '/v2.1/flavors')
    expect(flavors.status).toBe(503)
    expect(flavors.body).toEqual({
      serviceUnavailable: {
        code: 503,
        message: 'The server is currently unavailable. Please try again at a later time.',
      },
    })

    const images = await fetch(`${image.url}/v2/images`, { headers: { 'x-auth-token': 'demo:demo' } })
    expect(images.status).toBe(503)
    expect(await images.text()).toContain('<title>503 Service Unavailable</title>')

    const token = await fetch(`${identity.url}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'x' } },
          },
        },
      }),
    })
    expect(token.status).toBe(503)
    expect(await token.json()).toEqual({
      error: {
        code: 503,
        title: 'Service Unavailable',
        message: 'The server is currently unavailable. Please try again at a later time.',
      },
    })
  })
})
