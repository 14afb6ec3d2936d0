/** The backend matrix helper: how TSNOVA_TEST_BACKENDS, a restriction and CI decide what runs. */
import { describe, expect, it } from 'vitest'
import {
  type BackendSelection,
  DEFAULT_BACKENDS,
  isCi,
  type PlanInput,
  parseBackends,
  planSuites,
  type ServiceName,
} from '../harness/matrix.js'

const everythingUp = new Map<ServiceName, string>()
const selection = (spec?: string): BackendSelection => parseBackends(spec)
const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
  selection: selection(),
  perDatabase: false,
  only: undefined,
  unreachable: everythingUp,
  inCi: false,
  ...overrides,
})

describe('TSNOVA_TEST_BACKENDS', () => {
  it('defaults to memory+sqlite, amqp+mysql, amqp+postgres when unset or empty', () => {
    expect(parseBackends(undefined).backends).toEqual(DEFAULT_BACKENDS)
    expect(parseBackends(' ').backends).toEqual(DEFAULT_BACKENDS)
    expect(DEFAULT_BACKENDS.map((b) => `${b.transport}+${b.db}`)).toEqual([
      'memory+sqlite',
      'amqp+mysql',
      'amqp+postgres',
    ])
  })

  it('takes any transport+db pair, in the order given, once each', () => {
    expect(parseBackends('amqp+postgres, memory+mysql,amqp+postgres').backends).toEqual([
      { transport: 'amqp', db: 'postgres' },
      { transport: 'memory', db: 'mysql' },
    ])
  })

  it.each([
    'sqlite',
    'memory+oracle',
    'zeromq+sqlite',
    'memory+sqlite+amqp',
    'memory+sqlite,',
    'memory sqlite',
  ])('refuses %j, naming what is valid', (spec) => {
    expect(() => parseBackends(spec)).toThrow(
      /is not a transport\+db pair \(transports: memory, amqp; databases/,
    )
  })
})

describe('planning the suites of one describeBackends', () => {
  it('runs one suite per pair, the pair in its title', () => {
    expect(planSuites('servers over $transport + $db', input()).map((p) => [p.action, p.title])).toEqual([
      ['run', 'servers over memory + sqlite'],
      ['run', 'servers over amqp + mysql'],
      ['run', 'servers over amqp + postgres'],
    ])
  })

  it('appends the pair to a title that names neither', () => {
    expect(planSuites('servers', input({ selection: selection('amqp+mysql') }))[0]!.title).toBe(
      'servers (amqp + mysql)',
    )
  })

  it('skips, saying why, a pair whose service is down outside CI; fails it in CI', () => {
    const unreachable = new Map<ServiceName, string>([['rabbitmq', 'not reachable at 127.0.0.1:5672']])
    expect(planSuites('s $transport+$db', input({ unreachable })).map((p) => [p.action, p.title])).toEqual([
      ['run', 's memory+sqlite'],
      ['skip', 's amqp+mysql [skipped: RabbitMQ not reachable at 127.0.0.1:5672]'],
      ['skip', 's amqp+postgres [skipped: RabbitMQ not reachable at 127.0.0.1:5672]'],
    ])
    const inCi = planSuites('s $transport+$db', input({ unreachable, inCi: true }))
    expect(inCi.map((p) => [p.action, p.title, p.reason, p.missing])).toEqual([
      ['run', 's memory+sqlite', undefined, []],
      ['fail', 's amqp+mysql', 'RabbitMQ not reachable at 127.0.0.1:5672', ['rabbitmq']],
      ['fail', 's amqp+postgres', 'RabbitMQ not reachable at 127.0.0.1:5672', ['rabbitmq']],
    ])
  })

  it('per database: each database of the selection once, over the in-process bus', () => {
    const plans = planSuites(
      'images on $db',
      input({ perDatabase: true, selection: selection('amqp+mysql,memory+mysql,amqp+postgres') }),
    )
    expect(plans.map((p) => [p.title, p.backend])).toEqual([
      ['images on mysql', { transport: 'memory', db: 'mysql' }],
      ['images on postgres', { transport: 'memory', db: 'postgres' }],
    ])
    const unreachable = new Map<ServiceName, string>([['rabbitmq', 'not reachable at 127.0.0.1:5672']])
    expect(
      planSuites('images on $db', input({ perDatabase: true, unreachable })).every((p) => p.action === 'run'),
    ).toBe(true)
  })

  it('keeps a restricted suite to the pairs it allows', () => {
    const only = { transports: ['amqp'] as const, because: 'redelivery needs a broker' }
    expect(planSuites('r $transport+$db', input({ only })).map((p) => p.title)).toEqual([
      'r amqp+mysql',
      'r amqp+postgres',
    ])
  })

  it('shows a restricted suite the selection leaves out as skipped, with the reason', () => {
    const only = { transports: ['amqp'] as const, because: 'redelivery needs a broker' }
    const plans = planSuites('r $transport+$db', input({ only, selection: selection('memory+sqlite') }))
    expect(plans).toEqual([
      expect.objectContaining({
        action: 'skip',
        title:
          'r amqp+sqlite [skipped: not in TSNOVA_TEST_BACKENDS=memory+sqlite; runs only over amqp: redelivery needs a broker]',
      }),
    ])
  })

  it('refuses a restriction that does not say why', () => {
    expect(() => planSuites('r', input({ only: { transports: ['amqp'], because: ' ' } }))).toThrow(
      /must say why/,
    )
  })
})

describe('CI', () => {
  it('is on when CI is set to anything but empty, 0 or false', () => {
    expect(isCi({ CI: '1' })).toBe(true)
    expect(isCi({ CI: 'true' })).toBe(true)
    expect(isCi({})).toBe(false)
    expect(isCi({ CI: '' })).toBe(false)
    expect(isCi({ CI: 'false' })).toBe(false)
    expect(isCi({ CI: '0' })).toBe(false)
  })
})
