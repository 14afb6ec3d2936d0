/**
 * A RabbitMQ restart loses no accepted request. api, conductor, scheduler and two computes run as
 * separate processes on a RabbitMQ node of this test's own (the shared one on 5672 serves other
 * test files and is never restarted) and MariaDB. Servers are created and deleted while builds
 * and deletes are in flight, the broker is restarted (cleanly, or killed), and every server the
 * API accepted must end ACTIVE, then gone:
 * - with `amqp_durable_queues = True`, the queues and what waits in them survive the restart;
 * - with Nova's default (transient queues), what was queued is lost and the conductor's re-drive
 *   sends it again.
 * Calls in flight lose their replies either way: compute retries its reports, the conductor
 * leaves a lost scheduling to the re-drive.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AmqpTransport } from '../../src/rpc/amqp/amqp-transport.js'
import { Rpc } from '../../src/rpc/rpc.js'
import type { Message } from '../../src/rpc/transport.js'
import { makeContext } from '../../src/shared/context.js'
import { createLogger } from '../../src/shared/logger.js'
import type { ComputeClient } from '../harness/client.js'
import { type DistributedCloud, startDistributedCloud } from '../harness/distributed-cloud.js'
import { PrivateRabbit } from '../harness/private-rabbit.js'
import type { ServiceProcess } from '../harness/processes.js'

const log = createLogger({ name: 'test' })
log.level = process.env.TSNOVA_TEST_LOG ?? 'silent'

/** Per-process queues, which oslo.messaging keeps transient. */
const TRANSIENT_QUEUE = /^(reply|compute_fanout|conductor_fanout|scheduler_fanout)_[0-9a-f]{32}$/

/** Seconds a build request, build or delete may stand still before the conductor re-drives it. */
const REDRIVE_THRESHOLD_S = 3

interface Cloud extends DistributedCloud {
  readonly vhost: string
}

async function startCloud(rabbit: PrivateRabbit, durable: boolean): Promise<Cloud> {
  const vhost = `tsnova-${durable ? 'durable' : 'transient'}-${randomBytes(4).toString('hex')}`
  const cloud = await startDistributedCloud({
    transportUrl: await rabbit.addVhost(vhost),
    config: {
      DEFAULT: {
        // Longer than the outage, so no host is judged down while the broker restarts.
        service_down_time: 30,
        rpc_response_timeout: 10,
      },
      oslo_messaging_rabbit: { amqp_durable_queues: durable ? 'True' : 'False' },
      conductor: { redrive_threshold: REDRIVE_THRESHOLD_S, redrive_interval: 1 },
      // Builds take a while, so a restart finds some of them in flight.
      fake: { spawn_delay: 2 },
    },
  })
  return { ...cloud, vhost }
}

async function createServers(client: ComputeClient, prefix: string, count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => client.createServer(`${prefix}-${i}`)))
}

/** Run `fn` with the processes stopped (SIGSTOP): what is sent to them waits, unacknowledged. */
async function frozen(procs: readonly ServiceProcess[], fn: () => Promise<void>): Promise<void> {
  for (const p of procs) p.child.kill('SIGSTOP')
  try {
    await fn()
  } finally {
    for (const p of procs) p.child.kill('SIGCONT')
  }
}

/** POST a server; the status the API answered. */
async function tryCreate(client: ComputeClient, name: string): Promise<number> {
  const res = await client.request('POST', '/v2.1/servers', {
    server: { name, flavorRef: '1', imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb', networks: 'none' },
  })
  return res.status
}

/** What every process logged, for a failure's message. */
function logsOf(cloud: Cloud): string {
  return cloud.procs.map((p) => `--- ${p.name}\n${p.output().slice(-3000)}`).join('\n')
}

describe('a RabbitMQ restart loses no accepted request', () => {
  let rabbit: PrivateRabbit

  beforeAll(async () => {
    // No skip: if a private node cannot run here, this fails and says why.
    rabbit = await PrivateRabbit.launch()
  }, 90_000)

  afterAll(async () => {
    await rabbit?.destroy()
  })

  /** Queues of the vhost, once the services have declared their transient ones again. */
  async function queuesOnceEveryServiceIsBack(vhost: string): Promise<{ name: string; durable: boolean }[]> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const queues = JSON.parse(
        await rabbit.ctl('list_queues', '-p', vhost, 'name', 'durable', '--formatter', 'json'),
      ) as { name: string; durable: boolean }[]
      // A reply queue for each compute and the conductor, a fanout queue for each compute.
      if (queues.filter((q) => TRANSIENT_QUEUE.test(q.name)).length >= 5) return queues
      if (Date.now() > deadline) throw new Error(`transient queues not back: ${JSON.stringify(queues)}`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  describe.each([
    { durable: true, name: 'durable queues' },
    { durable: false, name: 'transient queues (Nova default), finished by the re-drive' },
  ])('$name', ({ durable }) => {
    let cloud: Cloud

    beforeAll(async () => {
      cloud = await startCloud(rabbit, durable)
    }, 90_000)

    afterAll(async () => {
      await cloud?.stop()
    })

    it('builds every accepted server through a restart, and deletes them all through another', async () => {
      const { client, conductor } = cloud
      const computes = [...cloud.computes.values()].map((c) => c.proc)
      const admin = client.as('admin:admin')
      try {
        // Half of them building when the broker goes; the other half waiting in the conductor's
        // queue (its consumer frozen), where only a durable queue keeps them.
        const building = await createServers(client, 'building', 10)
        let queued: string[] = []
        let createWhileDown: number | undefined
        await frozen([conductor], async () => {
          queued = await createServers(client, 'queued', 10)
          await rabbit.stop()
          // The API cannot hand this one to a conductor: it must refuse it, not list it forever.
          if (!durable) createWhileDown = await tryCreate(client, 'while-broker-down')
          await rabbit.start()
        })
        const ids = [...building, ...queued]
        const servers = await admin.waitForStatus(ids, 'ACTIVE', 60_000)
        expect(new Set(servers.map((s) => s['OS-EXT-SRV-ATTR:host']))).toEqual(new Set(['cmp-1', 'cmp-2']))
        if (!durable) {
          expect(conductor.output()).toContain('sending schedule_and_build_instances again')
          expect(createWhileDown).toBeGreaterThanOrEqual(500)
          const listed = await client.request<{ servers: { name: string }[] }>('GET', '/v2.1/servers')
          expect(listed.body.servers.map((s) => s.name)).not.toContain('while-broker-down')
        }

        // The deletes wait in the hosts' queues (their consumers frozen) when the broker dies.
        await frozen(computes, async () => {
          for (const id of ids)
            expect((await client.request('DELETE', `/v2.1/servers/${id}`)).status).toBe(204)
          await rabbit.restart('kill')
        })
        await client.waitForGone(ids, 60_000)
        if (!durable) expect(conductor.output()).toContain('sending terminate_instance again')
        const left = await client.request<{ servers: unknown[] }>('GET', '/v2.1/servers')
        expect(left.body.servers).toEqual([])
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${logsOf(cloud)}`)
      }
    }, 150_000)

    it(`declares the exchange and topic queues ${durable ? 'durable' : 'transient'}, fanout and reply queues transient`, async () => {
      const queues = await queuesOnceEveryServiceIsBack(cloud.vhost)
      const durability = new Map(queues.map((q) => [q.name, q.durable]))
      for (const name of ['conductor', 'conductor.controller', 'scheduler', 'compute.cmp-1', 'compute.cmp-2'])
        expect(durability.get(name), name).toBe(durable)
      const transient = queues.filter((q) => TRANSIENT_QUEUE.test(q.name))
      for (const q of transient) expect(q.durable, q.name).toBe(false)
      const exchanges = JSON.parse(
        await rabbit.ctl('list_exchanges', '-p', cloud.vhost, 'name', 'durable', '--formatter', 'json'),
      ) as { name: string; durable: boolean }[]
      expect(exchanges.find((e) => e.name === 'nova')?.durable).toBe(durable)
    })
  })

  describe('the AMQP transport', () => {
    const transports: AmqpTransport[] = []
    const vhosts = new Map<string, Promise<string>>()

    async function transport(vhost: string, durableQueues: boolean): Promise<AmqpTransport> {
      if (!vhosts.has(vhost)) vhosts.set(vhost, rabbit.addVhost(vhost))
      const t = new AmqpTransport(await vhosts.get(vhost)!, {
        controlExchange: 'nova',
        log,
        durableQueues,
        unavailableAfterMs: 30_000,
      })
      transports.push(t)
      return t
    }

    afterAll(async () => {
      await Promise.all(transports.map((t) => t.close()))
    })

    it('keeps a queued cast across a restart with durable queues only, and fails calls whose reply was lost', async () => {
      const suffix = randomBytes(4).toString('hex')
      const durable = await transport(`durable-${suffix}`, true)
      const transient = await transport(`transient-${suffix}`, false)
      const target = { topic: 'conductor', server: 'c1' }
      // Declare the queues, then leave them without a consumer while the casts wait.
      for (const t of [durable, transient]) await (await t.listen(target, async () => {})).close()
      for (const t of [durable, transient]) await t.send({ topic: 'conductor' }, { method: 'kept?' })
      // A call whose reply the restart will lose: the server holds on to it until after.
      const caller = new Rpc(transient, log, 60)
      const callee = await transport(`transient-${suffix}`, false)
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const served = await new Rpc(callee, log).serve({ topic: 'slow' }, [
        { version: '1.0', endpoint: { wait: () => held } },
      ])
      const started = Date.now()
      const callFailure = caller.call(makeContext(), { topic: 'slow', version: '1.0' }, 'wait', {}).then(
        () => undefined,
        (err: Error) => err,
      )
      await new Promise((r) => setTimeout(r, 500))

      await rabbit.restart('stop')
      release()

      const err = await callFailure
      expect(err?.name).toBe('MessagingTimeout')
      expect(Date.now() - started).toBeLessThan(30_000)
      await served.close()

      const received = async (t: AmqpTransport): Promise<Message[]> => {
        const got: Message[] = []
        const sub = await t.listen(target, async (m) => {
          got.push(m)
        })
        await new Promise((r) => setTimeout(r, 1000))
        await sub.close()
        return got
      }
      expect((await received(durable)).map((m) => m.method)).toEqual(['kept?'])
      expect(await received(transient)).toEqual([])
    }, 60_000)

    it('says which option to align when a queue exists with the other durability', async () => {
      const vhost = `mixed-${randomBytes(4).toString('hex')}`
      const target = { topic: 'conductor', server: 'c1' }
      await (await (await transport(vhost, false)).listen(target, async () => {})).close()
      const refused = (await transport(vhost, true)).listen(target, async () => {})
      await expect(refused).rejects.toThrow(/PRECONDITION_FAILED.*amqp_durable_queues = True/s)
    })
  })
})
