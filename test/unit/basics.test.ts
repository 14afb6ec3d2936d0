/**
 * Small rules Nova operators rely on: config parsing, the up/down rule, microversions, statuses,
 * the HTTP status of errors that crossed the bus.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ApiVersion, requestedVersion, VersionNotSupported } from '../../src/api/microversion.js'
import { loadConfig } from '../../src/config/config.js'
import { statusFromState } from '../../src/objects/states.js'
import { isServiceUp } from '../../src/servicegroup/servicegroup.js'
import { errorAnswer } from '../../src/shared/error-answer.js'
import { errorFromRemote, InstancePasswordSetFailed } from '../../src/shared/errors.js'
import { dbNow } from '../../src/shared/time.js'

function conf(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tsnova-unit-')), 'nova.conf')
  writeFileSync(file, text)
  return file
}

describe('config', () => {
  it('has Nova defaults', () => {
    const c = loadConfig()
    expect(c.report_interval).toBe(10)
    expect(c.service_down_time).toBe(60)
    expect(c.rpc_response_timeout).toBe(60)
    expect(c.control_exchange).toBe('nova')
    expect(c.osapi_compute_listen_port).toBe(8774)
  })

  it('lets later files override earlier ones and substitutes $state_path', () => {
    const a = conf(
      '[DEFAULT]\nhost = a\nstate_path = /srv/nova\n[database]\nconnection = sqlite:///$state_path/x.db\n',
    )
    const b = conf('[DEFAULT]\nhost = b\n')
    const c = loadConfig([a, b])
    expect(c.host).toBe('b')
    expect(c.database.connection).toBe('sqlite:////srv/nova/x.db')
  })

  it('keeps queues transient by default, as Nova, and re-drives lost work after a minute', () => {
    const c = loadConfig()
    expect(c.oslo_messaging_rabbit.amqp_durable_queues).toBe(false)
    expect(c.conductor).toEqual({ redrive_threshold: 60, redrive_interval: 30, redrive_max_attempts: 3 })
    const durable = loadConfig([conf('[oslo_messaging_rabbit]\namqp_durable_queues = True\n')])
    expect(durable.oslo_messaging_rabbit.amqp_durable_queues).toBe(true)
  })

  it('corrects service_down_time <= report_interval as Nova does', () => {
    const c = loadConfig([conf('[DEFAULT]\nreport_interval = 10\nservice_down_time = 5\n')])
    expect(c.service_down_time).toBe(25)
  })

  it('refuses a non-number where a number belongs', () => {
    expect(() => loadConfig([conf('[DEFAULT]\nreport_interval = often\n')])).toThrow(
      /report_interval must be a number/,
    )
  })
})

describe('service up/down', () => {
  const ago = (s: number) => dbNow(new Date(Date.now() - s * 1000))
  it('is up while the last report is at most service_down_time old', () => {
    expect(isServiceUp({ forced_down: false, last_seen_up: ago(59), created_at: ago(600) }, 60)).toBe(true)
    expect(isServiceUp({ forced_down: false, last_seen_up: ago(61), created_at: ago(600) }, 60)).toBe(false)
  })
  it('uses created_at before the first report, and forced_down wins', () => {
    expect(isServiceUp({ forced_down: false, last_seen_up: null, created_at: ago(5) }, 60)).toBe(true)
    expect(isServiceUp({ forced_down: true, last_seen_up: ago(1), created_at: ago(5) }, 60)).toBe(false)
  })
})

describe('microversions', () => {
  it('reads both headers, latest, and defaults to 2.1', () => {
    expect(requestedVersion({}).toString()).toBe('2.1')
    expect(requestedVersion({ 'openstack-api-version': 'compute 2.53' }).toString()).toBe('2.53')
    expect(requestedVersion({ 'x-openstack-nova-api-version': '2.10' }).toString()).toBe('2.10')
    expect(requestedVersion({ 'openstack-api-version': 'compute latest' }).toString()).toBe('2.93')
    expect(requestedVersion({ 'openstack-api-version': 'image 2.5, compute 2.37' }).toString()).toBe('2.37')
  })
  it('refuses versions out of range or malformed', () => {
    expect(() => requestedVersion({ 'openstack-api-version': 'compute 2.94' })).toThrow(VersionNotSupported)
    expect(() => requestedVersion({ 'openstack-api-version': 'compute 3.0' })).toThrow(VersionNotSupported)
    expect(() => requestedVersion({ 'openstack-api-version': 'compute two' })).toThrow(/invalid format/)
  })
  it('compares minor versions as numbers', () => {
    expect(ApiVersion.parse('2.10')!.atLeast('2.9')).toBe(true)
    expect(ApiVersion.parse('2.9')!.atLeast('2.10')).toBe(false)
  })
})

describe('server status', () => {
  it.each([
    ['building', 'scheduling', 'BUILD'],
    ['active', null, 'ACTIVE'],
    ['active', 'rebooting_hard', 'HARD_REBOOT'],
    ['active', 'reboot_started', 'REBOOT'],
    ['active', 'updating_password', 'PASSWORD'],
    ['active', 'powering-off', 'ACTIVE'],
    ['paused', 'unpausing', 'PAUSED'],
    ['suspended', 'resuming', 'SUSPENDED'],
    ['active', 'deleting', 'ACTIVE'],
    ['stopped', null, 'SHUTOFF'],
    ['resized', 'resize_reverting', 'REVERT_RESIZE'],
    ['error', null, 'ERROR'],
    ['nonsense', null, 'UNKNOWN'],
  ])('%s/%s is %s', (vm, task, status) => {
    expect(statusFromState(vm, task)).toBe(status)
  })
})

describe('errors rebuilt from a remote failure', () => {
  const wording = { internal: 'Unexpected API Error.', byStatus: {} }

  it.each([
    ['InstancePasswordSetFailed', 409],
    ['ConsoleTypeUnavailable', 400],
    ['InstanceNotFound', 404],
    ['NotImplementedByDriver', 501],
  ])('%s answers %i, with the remote message', (className, status) => {
    const err = errorFromRemote(className, 'as the remote said it')
    expect(errorAnswer(err, wording)).toEqual({ status, message: 'as the remote said it', unexpected: false })
  })

  it.each(['ApiError', 'SomethingUnknown'])('%s is a 500 of ours', (className) => {
    expect(errorAnswer(errorFromRemote(className, 'boom'), wording)).toMatchObject({
      status: 500,
      unexpected: true,
    })
  })

  it('keeps the class, for callers that catch it', () => {
    expect(errorFromRemote('InstancePasswordSetFailed', 'x')).toBeInstanceOf(InstancePasswordSetFailed)
  })
})
