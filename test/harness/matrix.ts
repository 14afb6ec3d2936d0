/**
 * The backend matrix: which message transport and database each functional suite runs over.
 *
 * `TSNOVA_TEST_BACKENDS` chooses the pairs, comma-separated `transport+db` (transports `memory`,
 * `amqp`; databases `sqlite`, `mysql`, `postgres`), e.g. `memory+sqlite,amqp+postgres`. Unset or
 * empty, the default matrix runs: memory+sqlite, amqp+mysql, amqp+postgres. Anything else is an
 * error, raised when the first suite file loads: a typo must not quietly run nothing.
 *
 * A pair whose service (RabbitMQ, MariaDB, PostgreSQL) does not answer fails its suite when `CI`
 * is set (a CI run that skipped would look green for having tested nothing), and is skipped
 * otherwise, the suite's title saying why and a warning printed once per test file.
 */
import { accessSync, constants } from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { beforeAll, describe } from 'vitest'
import type { TransportKind } from './cloud.js'
import { type DbKind, MYSQL_SERVER, POSTGRES_SERVER } from './databases.js'
import { RABBIT_HOST, RABBITMQCTL } from './rabbit.js'

export interface Backend {
  readonly transport: TransportKind
  readonly db: DbKind
}

export const TRANSPORTS: readonly TransportKind[] = ['memory', 'amqp']
export const DATABASES: readonly DbKind[] = ['sqlite', 'mysql', 'postgres']

export const DEFAULT_BACKENDS: readonly Backend[] = [
  { transport: 'memory', db: 'sqlite' },
  { transport: 'amqp', db: 'mysql' },
  { transport: 'amqp', db: 'postgres' },
]

/** The local services a backend needs; `memory` and `sqlite` live in the test process. */
export type ServiceName = 'rabbitmq' | 'mysql' | 'postgres'

const SERVICE_LABELS: Record<ServiceName, string> = {
  rabbitmq: 'RabbitMQ',
  mysql: 'MariaDB',
  postgres: 'PostgreSQL',
}

/** The backends chosen for this run, and how they were chosen (for messages). */
export interface BackendSelection {
  readonly backends: readonly Backend[]
  readonly source: string
}

/** Parse `TSNOVA_TEST_BACKENDS`; throws on anything that is not a list of valid pairs. */
export function parseBackends(spec: string | undefined): BackendSelection {
  if (spec === undefined || spec.trim() === '') {
    return { backends: DEFAULT_BACKENDS, source: 'the default matrix' }
  }
  const backends: Backend[] = []
  for (const item of spec.split(',')) {
    const pair = item.trim()
    const [transport, db, ...rest] = pair.split('+')
    if (!isTransport(transport) || !isDatabase(db) || rest.length > 0) {
      throw new Error(
        `TSNOVA_TEST_BACKENDS=${JSON.stringify(spec)}: '${pair}' is not a transport+db pair ` +
          `(transports: ${TRANSPORTS.join(', ')}; databases: ${DATABASES.join(', ')}; ` +
          'e.g. memory+sqlite,amqp+postgres)',
      )
    }
    if (!backends.some((b) => b.transport === transport && b.db === db)) backends.push({ transport, db })
  }
  return { backends, source: `TSNOVA_TEST_BACKENDS=${spec}` }
}

function isTransport(value: string | undefined): value is TransportKind {
  return TRANSPORTS.some((t) => t === value)
}

function isDatabase(value: string | undefined): value is DbKind {
  return DATABASES.some((d) => d === value)
}

export function servicesFor(backend: Backend): ServiceName[] {
  const services: ServiceName[] = []
  if (backend.transport === 'amqp') services.push('rabbitmq')
  if (backend.db !== 'sqlite') services.push(backend.db)
  return services
}

/** `$transport` and `$db` in a title become the backend's; a title naming neither gets them appended. */
export function suiteTitle(title: string, backend: Backend, perDatabase = false): string {
  if (!title.includes('$transport') && !title.includes('$db')) {
    return perDatabase ? `${title} (${backend.db})` : `${title} (${backend.transport} + ${backend.db})`
  }
  return title.replaceAll('$transport', backend.transport).replaceAll('$db', backend.db)
}

/**
 * A suite that only means something over some backends (say, redelivery over a real broker).
 * `because` is required: whoever widens the matrix later must know what the restriction protects.
 */
export interface BackendRestriction {
  readonly transports?: readonly TransportKind[]
  readonly dbs?: readonly DbKind[]
  readonly because: string
}

export interface BackendOptions {
  readonly only?: BackendRestriction
}

export interface DatabaseOptions {
  readonly only?: { readonly dbs: readonly DbKind[]; readonly because: string }
}

/** What becomes of one suite of the matrix. */
export interface SuitePlan {
  readonly action: 'run' | 'fail' | 'skip'
  readonly title: string
  readonly backend: Backend
  /** Why it fails or is skipped. */
  readonly reason?: string
  /** The services it needs that did not answer. */
  readonly missing: readonly ServiceName[]
}

export interface PlanInput {
  readonly selection: BackendSelection
  /** Run once per database of the selection, over the in-process bus, rather than once per pair. */
  readonly perDatabase: boolean
  readonly only: BackendRestriction | undefined
  /** Services that did not answer, with why. */
  readonly unreachable: ReadonlyMap<ServiceName, string>
  readonly inCi: boolean
}

/** Which suites to register for one `describeBackends` call, and how. */
export function planSuites(title: string, input: PlanInput): SuitePlan[] {
  const { only } = input
  if (only && !only.because.trim()) throw new Error(`${title}: a restricted matrix must say why (because)`)
  const allowed = (b: Backend): boolean =>
    (!only?.transports || only.transports.includes(b.transport)) && (!only?.dbs || only.dbs.includes(b.db))
  const candidates = input.perDatabase
    ? [...new Set(input.selection.backends.map((b) => b.db))].map(
        (db): Backend => ({ transport: 'memory', db }),
      )
    : input.selection.backends
  const chosen = candidates.filter(allowed)
  if (chosen.length === 0) {
    // Nothing of the selection is allowed: show the suite as skipped, never let it vanish.
    const everything = input.perDatabase
      ? DATABASES.map((db): Backend => ({ transport: 'memory', db }))
      : TRANSPORTS.flatMap((transport) => DATABASES.map((db) => ({ transport, db })))
    const representative = everything.find(allowed)
    if (!representative) throw new Error(`${title}: the restriction allows no backend at all`)
    const reason = `not in ${input.selection.source}; runs only over ${describeRestriction(only!)}: ${only!.because}`
    return [
      {
        action: 'skip',
        title: `${suiteTitle(title, representative, input.perDatabase)} [skipped: ${reason}]`,
        backend: representative,
        reason,
        missing: [],
      },
    ]
  }
  return chosen.map((backend): SuitePlan => {
    const named = suiteTitle(title, backend, input.perDatabase)
    const missing = servicesFor(backend).filter((s) => input.unreachable.has(s))
    if (missing.length === 0) return { action: 'run', title: named, backend, missing }
    const reason = unreachableReason(missing, input.unreachable)
    if (input.inCi) return { action: 'fail', title: named, backend, reason, missing }
    return { action: 'skip', title: `${named} [skipped: ${reason}]`, backend, reason, missing }
  })
}

function unreachableReason(
  missing: readonly ServiceName[],
  unreachable: ReadonlyMap<ServiceName, string>,
): string {
  return missing.map((s) => `${SERVICE_LABELS[s]} ${unreachable.get(s)}`).join('; ')
}

function describeRestriction(only: BackendRestriction): string {
  const parts = [only.transports?.join('/'), only.dbs?.join('/')].filter((p) => p !== undefined)
  return parts.join(' + ')
}

/** `CI` set to anything but empty, `0` or `false`. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase()
  return value !== undefined && value !== '' && value !== '0' && value !== 'false'
}

/** Whether something listens on host:port (a refused or silent port within a second is "no"). */
function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port })
    const done = (open: boolean): void => {
      sock.destroy()
      resolve(open)
    }
    sock.setTimeout(1000, () => done(false))
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}

function onPath(command: string): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, command))
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/**
 * Each service that does not answer, with why. A TCP connect per service, not a login: cheap
 * enough for every test file, and a server that listens but refuses us fails its suite's set-up
 * loudly anyway. RabbitMQ also needs `rabbitmqctl`, which makes the per-suite vhosts; whether it
 * is installed is checked, not run (it takes most of a second to start).
 */
async function probeServices(): Promise<Map<ServiceName, string>> {
  const addressOf = (url: string, defaultPort: number): { host: string; port: number } => {
    const parsed = new URL(url)
    return { host: parsed.hostname, port: Number(parsed.port) || defaultPort }
  }
  const addresses: Record<ServiceName, { host: string; port: number }> = {
    rabbitmq: addressOf(`amqp://${RABBIT_HOST}`, 5672),
    mysql: addressOf(MYSQL_SERVER, 3306),
    postgres: addressOf(POSTGRES_SERVER, 5432),
  }
  const unreachable = new Map<ServiceName, string>()
  await Promise.all(
    (Object.keys(addresses) as ServiceName[]).map(async (service) => {
      const { host, port } = addresses[service]
      if (!(await portOpen(host, port))) unreachable.set(service, `not reachable at ${host}:${port}`)
      else if (service === 'rabbitmq' && !onPath(RABBITMQCTL)) {
        unreachable.set(service, `has no ${RABBITMQCTL} to manage it (set RABBITMQCTL)`)
      }
    }),
  )
  return unreachable
}

const selection = parseBackends(process.env.TSNOVA_TEST_BACKENDS)
const inCi = isCi()
const unreachable = await probeServices()
const warned = new Set<ServiceName>()

/** Whether a service answered when this test file loaded. */
export function serviceReachable(service: ServiceName): boolean {
  return !unreachable.has(service)
}

/**
 * `describe` for a suite that needs some of the local services: run it if they answer; if one
 * does not, fail it in CI and skip it (saying why) elsewhere.
 */
export function describeNeeding(title: string, services: readonly ServiceName[], fn: () => void): void {
  const missing = services.filter((s) => unreachable.has(s))
  if (missing.length === 0) {
    describe(title, fn)
    return
  }
  const reason = unreachableReason(missing, unreachable)
  const action = inCi ? 'fail' : 'skip'
  register({ action, title: inCi ? title : `${title} [skipped: ${reason}]`, reason, missing }, fn)
}

/** Declares a suite's hooks and tests for one backend, as a `describe.each` body would. */
export type BackendSuite = (backend: Backend) => void

/**
 * One suite per backend pair of the run's matrix. `title` may name `$transport` and `$db`.
 * Options, if any, come before the body, so a restriction added later does not re-indent it.
 */
export function describeBackends(title: string, fn: BackendSuite): void
export function describeBackends(title: string, options: BackendOptions, fn: BackendSuite): void
export function describeBackends(
  title: string,
  optionsOrFn: BackendOptions | BackendSuite,
  maybeFn?: BackendSuite,
): void {
  const [options, fn] = typeof optionsOrFn === 'function' ? [{}, optionsOrFn] : [optionsOrFn, maybeFn!]
  for (const plan of planSuites(title, {
    selection,
    perDatabase: false,
    only: options.only,
    unreachable,
    inCi,
  })) {
    register(plan, () => fn(plan.backend))
  }
}

/**
 * One suite per database of the run's matrix, for suites that exercise a database but no message
 * bus (they run over the in-process one, or none): `fn` gets `transport: 'memory'`.
 */
export function describeDatabases(title: string, fn: BackendSuite): void
export function describeDatabases(title: string, options: DatabaseOptions, fn: BackendSuite): void
export function describeDatabases(
  title: string,
  optionsOrFn: DatabaseOptions | BackendSuite,
  maybeFn?: BackendSuite,
): void {
  const [options, fn] = typeof optionsOrFn === 'function' ? [{}, optionsOrFn] : [optionsOrFn, maybeFn!]
  for (const plan of planSuites(title, {
    selection,
    perDatabase: true,
    only: options.only,
    unreachable,
    inCi,
  })) {
    register(plan, () => fn(plan.backend))
  }
}

function register(plan: Omit<SuitePlan, 'backend'>, body: () => void): void {
  if (plan.action === 'run') {
    describe(plan.title, body)
  } else if (plan.action === 'fail') {
    describe(plan.title, () => {
      // Registered first, so the suite's own set-up never runs against the missing service.
      beforeAll(() => {
        throw new Error(`${plan.reason}: CI is set, so this suite fails rather than skips`)
      })
      body()
    })
  } else {
    for (const service of plan.missing) warnOnce(service)
    describe.skip(plan.title, body)
  }
}

function warnOnce(service: ServiceName): void {
  if (warned.has(service)) return
  warned.add(service)
  console.warn(
    `${SERVICE_LABELS[service]} ${unreachable.get(service)}: the suites that need it are skipped ` +
      '(set CI=1 to make them fail instead)',
  )
}
