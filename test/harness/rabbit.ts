/**
 * RabbitMQ for tests: each test file gets its own throwaway virtual host, so parallel runs never
 * see each other's queues. Needs a broker on 127.0.0.1:5672 (guest/guest) and `rabbitmqctl`
 * (override with RABBITMQCTL, the broker address with TSNOVA_TEST_RABBIT_HOST). Whether it is
 * reachable, and what a suite does when it is not, is matrix.ts's business.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const exec = promisify(execFile)
export const RABBITMQCTL = process.env.RABBITMQCTL ?? 'rabbitmqctl'
/** `host:port` of the broker the tests use. */
export const RABBIT_HOST = process.env.TSNOVA_TEST_RABBIT_HOST ?? '127.0.0.1:5672'

export interface TestVhost {
  /** `rabbit://guest:guest@127.0.0.1:5672/<vhost>` */
  readonly url: string
  readonly vhost: string
  /** Delete the vhost and everything in it (closes its connections too). */
  drop(): Promise<void>
}

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await exec(RABBITMQCTL, ['-q', ...args], { timeout: 60_000 })
  return stdout
}

export async function createVhost(): Promise<TestVhost> {
  const vhost = `tsnova-test-${randomBytes(6).toString('hex')}`
  await rabbitmqctl('add_vhost', vhost)
  await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*')
  return {
    url: `rabbit://guest:guest@${RABBIT_HOST}/${encodeURIComponent(vhost)}`,
    vhost,
    drop: async () => {
      await rabbitmqctl('delete_vhost', vhost)
    },
  }
}

export interface QueueInfo {
  readonly name: string
  readonly durable: boolean
  readonly auto_delete: boolean
  readonly arguments: Record<string, unknown>
  readonly consumers: number
  /** Ready plus unacknowledged. */
  readonly messages: number
  readonly messages_unacknowledged: number
}

/** `rabbitmqctl list_queues -p <vhost> name durable auto_delete arguments consumers messages messages_unacknowledged` */
export async function listQueues(vhost: string): Promise<QueueInfo[]> {
  const out = await rabbitmqctl(
    'list_queues',
    '-p',
    vhost,
    'name',
    'durable',
    'auto_delete',
    'arguments',
    'consumers',
    'messages',
    'messages_unacknowledged',
    '--formatter',
    'json',
  )
  const rows = JSON.parse(out) as Array<Record<string, unknown>>
  return rows.map((r) => ({
    name: String(r.name),
    durable: r.durable === true,
    auto_delete: r.auto_delete === true,
    arguments: toArgs(r.arguments),
    consumers: Number(r.consumers ?? 0),
    messages: Number(r.messages ?? 0),
    messages_unacknowledged: Number(r.messages_unacknowledged ?? 0),
  }))
}

export interface ExchangeInfo {
  readonly name: string
  readonly type: string
  readonly durable: boolean
  readonly auto_delete: boolean
}

export async function listExchanges(vhost: string): Promise<ExchangeInfo[]> {
  const out = await rabbitmqctl(
    'list_exchanges',
    '-p',
    vhost,
    'name',
    'type',
    'durable',
    'auto_delete',
    '--formatter',
    'json',
  )
  const rows = JSON.parse(out) as Array<Record<string, unknown>>
  return rows.map((r) => ({
    name: String(r.name),
    type: String(r.type),
    durable: r.durable === true,
    auto_delete: r.auto_delete === true,
  }))
}

/** Cut every client connection to the vhost, as a broker restart or network blip would. */
export async function closeConnections(vhost: string, reason = 'tsnova test: connection cut'): Promise<void> {
  await rabbitmqctl('close_all_connections', '-p', vhost, reason)
}

/** Number of client connections open on the vhost. */
export async function countConnections(vhost: string): Promise<number> {
  const out = await rabbitmqctl('list_connections', 'vhost', '--formatter', 'json')
  const rows = JSON.parse(out) as Array<Record<string, unknown>>
  return rows.filter((r) => r.vhost === vhost).length
}

/** rabbitmqctl's JSON renders queue arguments as `{"x-expires": 1800000}` or as `[["x-expires", 1800000]]`. */
function toArgs(raw: unknown): Record<string, unknown> {
  if (Array.isArray(raw)) {
    const out: Record<string, unknown> = {}
    for (const entry of raw) {
      if (Array.isArray(entry) && entry.length >= 2) out[String(entry[0])] = entry[entry.length - 1]
    }
    return out
  }
  if (raw && typeof raw === 'object') return raw as Record<string, unknown>
  return {}
}
