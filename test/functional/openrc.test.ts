/**
 * The all-in-one's `openrc` across restarts, beside `tsnova-manage bootstrap`: whatever openrc a
 * start leaves in `state_path` logs the admin in. The all-in-one is SQLite under `state_path` by
 * definition, so this suite runs on SQLite only, not over the backend matrix.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ControlRuntime } from '../../src/cmd/control-runtime.js'
import { type AllInOneLogin, startIdentityAndImage } from '../../src/cmd/identity-image.js'
import { bootstrapCommand } from '../../src/cmd/identity-manage.js'
import { apiDbSync } from '../../src/cmd/manage.js'
import { loadConfig } from '../../src/config/config.js'
import { readOpenrcPassword } from '../../src/identity/bootstrap.js'
import { createLogger } from '../../src/shared/logger.js'
import { freePort } from '../harness/processes.js'

/** Whether `password` gets the admin a project-scoped token (201) from the identity at `authUrl`. */
async function logsIn(authUrl: string, password: string): Promise<boolean> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { name: 'Default' }, password } },
        },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  })
  await res.arrayBuffer()
  return res.status === 201
}

type Overrides = Record<string, Record<string, string>>

describe("the all-in-one's openrc", () => {
  let running: ControlRuntime | undefined
  let stateDir: string
  /** The all-in-one's options: its state in a temp dir, identity and image on free ports. */
  let allInOne: Overrides

  const quietLog = () => {
    const log = createLogger({ name: 'test' })
    log.level = 'silent'
    return log
  }

  /** What `npm start` does for identity and image: the API schema, then `startIdentityAndImage`. */
  async function startAllInOne(extra: Overrides = {}): Promise<AllInOneLogin> {
    await stopAllInOne()
    const config = loadConfig([], { ...allInOne, identity: { ...allInOne.identity, ...extra.identity } })
    await apiDbSync(config)
    running = new ControlRuntime(config, quietLog())
    return startIdentityAndImage(running, `http://127.0.0.1:${config.osapi_compute_listen_port}`)
  }

  async function stopAllInOne(): Promise<void> {
    await running?.close()
    running = undefined
  }

  afterEach(stopAllInOne)

  async function setUp(): Promise<void> {
    stateDir = mkdtempSync(path.join(tmpdir(), 'tsnova-openrc-'))
    allInOne = {
      DEFAULT: { state_path: stateDir, host: 'aio', osapi_compute_listen: '127.0.0.1' },
      identity: { bind_port: String(await freePort()) },
      image: { bind_port: String(await freePort()) },
    }
  }

  it('a restart keeps an openrc that logs in, and bootstrap_password replaces it with one that does', async () => {
    await setUp()
    const first = await startAllInOne()
    expect(first.openrc).toBe(path.join(stateDir, 'openrc'))
    const generated = readOpenrcPassword(stateDir)!
    expect(await logsIn(first.identityUrl, generated)).toBe(true)

    const again = await startAllInOne()
    expect(again.openrc).toBe(first.openrc)
    expect(readOpenrcPassword(stateDir)).toBe(generated)
    expect(await logsIn(again.identityUrl, generated)).toBe(true)

    const chosen = await startAllInOne({ identity: { bootstrap_password: 'chosen-in-nova.conf' } })
    expect(readOpenrcPassword(stateDir)).toBe('chosen-in-nova.conf')
    expect(await logsIn(chosen.identityUrl, 'chosen-in-nova.conf')).toBe(true)
    expect(await logsIn(chosen.identityUrl, generated)).toBe(false)
  })

  it("a restart after bootstrap wrote another cloud's openrc into state_path leaves no openrc that fails", async () => {
    await setUp()
    await startAllInOne()
    const aioPassword = readOpenrcPassword(stateDir)!
    await stopAllInOne()

    // The distributed walkthrough of old, run from the same checkout: another API database, the
    // same (default) state_path, so bootstrap writes its admin's openrc over the all-in-one's.
    const otherCloudDir = mkdtempSync(path.join(tmpdir(), 'tsnova-openrc-other-'))
    const otherCloud = loadConfig([], {
      DEFAULT: { state_path: stateDir, host: 'controller', osapi_compute_listen: '127.0.0.1' },
      api_database: { connection: `sqlite:///${otherCloudDir}/nova_api.sqlite` },
      identity: { bind_port: String(await freePort()) },
    })
    await apiDbSync(otherCloud)
    await bootstrapCommand(otherCloud, { bootstrapPassword: 'the-other-clouds' })
    const otherOpenrc = readFileSync(path.join(stateDir, 'openrc'), 'utf8')

    const restarted = await startAllInOne()
    // The openrc does not hold the all-in-one admin's password, and no other is known here: it
    // names no credentials and leaves bootstrap's file as it was (it logs in to the other cloud).
    expect(restarted.openrc).toBeUndefined()
    expect(readFileSync(path.join(stateDir, 'openrc'), 'utf8')).toBe(otherOpenrc)
    // The admin's password is still the one the all-in-one generated: nothing reset it.
    expect(await logsIn(restarted.identityUrl, aioPassword)).toBe(true)
    expect(await logsIn(restarted.identityUrl, 'the-other-clouds')).toBe(false)
  })

  it('after bootstrap sets a new password on the all-in-one database, restarts keep that openrc', async () => {
    await setUp()
    await startAllInOne()
    await stopAllInOne()

    // What the all-in-one tells an operator who lost the password: bootstrap with its config.
    const message = await bootstrapCommand(loadConfig([], allInOne), {
      bootstrapPassword: 'reset-by-bootstrap',
    })
    expect(message).toContain(`Admin credentials: ${path.join(stateDir, 'openrc')}`)
    expect(readOpenrcPassword(stateDir)).toBe('reset-by-bootstrap')

    const restarted = await startAllInOne()
    expect(restarted.openrc).toBe(path.join(stateDir, 'openrc'))
    expect(readOpenrcPassword(stateDir)).toBe('reset-by-bootstrap')
    expect(await logsIn(restarted.identityUrl, 'reset-by-bootstrap')).toBe(true)
  })
})
