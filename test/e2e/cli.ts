/**
 * Driving the real `openstack` CLI (Debian's python3-openstackclient) against a tsnova started as
 * an operator starts it: `tsnova all-in-one` as a child process, on free ports, with its state in
 * a temporary directory.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { seedTestImage } from '../harness/images.js'
import { freePort, manage, type ServiceProcess, startService, writeConfig } from '../harness/processes.js'
import { createVhost, type TestVhost } from '../harness/rabbit.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const MAIN = path.join(ROOT, 'dist/cmd/tsnova.js')

export const INSTALL_HINT =
  'the end-to-end tests need the real OpenStack client: apt-get update && apt-get install -y python3-openstackclient'

/** Fail loudly (never skip) when the client or the build is missing. */
export function requireOpenstackCli(): string {
  const probe = spawnSync('openstack', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `'openstack' is not installed or does not run (${probe.error?.message ?? probe.stderr}): ${INSTALL_HINT}`,
    )
  }
  const nova = spawnSync('nova', ['--version'], { encoding: 'utf8' })
  if (nova.error || nova.status !== 0) {
    throw new Error(
      `'nova' (novaclient) is not installed or does not run (${nova.error?.message ?? nova.stderr}): apt-get install -y python3-novaclient`,
    )
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first`)
  return (probe.stdout || probe.stderr).trim()
}

/** The `OS_*` variables of a user, exactly those the issue allows the client. */
export type OsEnv = Record<
  | 'OS_AUTH_URL'
  | 'OS_USERNAME'
  | 'OS_PASSWORD'
  | 'OS_PROJECT_NAME'
  | 'OS_USER_DOMAIN_NAME'
  | 'OS_PROJECT_DOMAIN_NAME'
  | 'OS_IDENTITY_API_VERSION',
  string
>

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The admin's variables from an `openrc` file (as the all-in-one and `tsnova-manage bootstrap` write it). */
export function readOpenrc(file: string): OsEnv {
  const vars: Record<string, string> = {}
  for (const m of readFileSync(file, 'utf8').matchAll(/^export (OS_\w+)=(?:'([^']*)'|(\S*))$/gm)) {
    vars[m[1]!] = m[2] ?? m[3] ?? ''
  }
  return {
    OS_AUTH_URL: vars.OS_AUTH_URL!,
    OS_USERNAME: vars.OS_USERNAME!,
    OS_PASSWORD: vars.OS_PASSWORD!,
    OS_PROJECT_NAME: vars.OS_PROJECT_NAME!,
    OS_USER_DOMAIN_NAME: vars.OS_USER_DOMAIN_NAME!,
    OS_PROJECT_DOMAIN_NAME: vars.OS_PROJECT_DOMAIN_NAME!,
    OS_IDENTITY_API_VERSION: vars.OS_IDENTITY_API_VERSION!,
  }
}

export class AllInOne {
  private constructor(
    readonly dir: string,
    readonly child: ChildProcess,
    readonly logFile: string,
    readonly ports: { compute: number; identity: number; image: number },
  ) {}

  static async start(): Promise<AllInOne> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-e2e-'))
    const ports = { compute: await freePort(), identity: await freePort(), image: await freePort() }
    const conf = path.join(dir, 'nova.conf')
    writeFileSync(
      conf,
      [
        '[DEFAULT]',
        `state_path = ${dir}/state`,
        'host = e2e-host',
        'osapi_compute_listen = 127.0.0.1',
        `osapi_compute_listen_port = ${ports.compute}`,
        '[identity]',
        `bind_port = ${ports.identity}`,
        '[image]',
        `bind_port = ${ports.image}`,
        '',
      ].join('\n'),
    )
    const logFile = path.join(dir, 'tsnova.log')
    const fd = openSync(logFile, 'a')
    const child = spawn(process.execPath, [MAIN, 'all-in-one', '--config-file', conf], {
      cwd: dir,
      stdio: ['ignore', fd, fd],
    })
    closeSync(fd)
    const aio = new AllInOne(dir, child, logFile, ports)
    await aio.waitFor('admin credentials: ')
    return aio
  }

  output(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''
  }

  async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.output().includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`tsnova exited: ${this.output().slice(-3000)}`)
      if (Date.now() > deadline)
        throw new Error(`no '${text}' within ${timeoutMs} ms: ${this.output().slice(-3000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** The admin's variables, read from the `openrc` the all-in-one wrote and named on its output. */
  adminEnv(): OsEnv {
    const file = /admin credentials: (\S+)/.exec(this.output())?.[1]
    if (!file) throw new Error(`the all-in-one did not name its openrc: ${this.output().slice(-2000)}`)
    return readOpenrc(file)
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    await exited
  }
}

/**
 * The distributed shape as an operator sets it up: one nova.conf; `tsnova-manage api_db sync`,
 * `db sync` and `bootstrap` (the catalog from the configured addresses and ports, the admin's
 * openrc in `state_path`); then `tsnova identity`, `image`, `conductor`, `scheduler`, `compute`
 * and `api` as separate processes over a RabbitMQ vhost and MariaDB, with keystone auth.
 */
export class Distributed {
  private constructor(
    readonly dir: string,
    readonly conf: string,
    readonly procs: readonly ServiceProcess[],
    readonly ports: { compute: number; identity: number; image: number },
    readonly computeHost: string,
    private readonly vhost: TestVhost,
    private readonly dbs: TestDatabases,
  ) {}

  static async start(computeHost = 'e2e-cmp'): Promise<Distributed> {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-e2e-dist-'))
    const vhost = await createVhost()
    const dbs = createDatabases('mysql')
    const ports = { compute: await freePort(), identity: await freePort(), image: await freePort() }
    const conf = writeConfig({
      DEFAULT: {
        transport_url: vhost.url,
        host: 'e2e-controller',
        state_path: `${dir}/state`,
        osapi_compute_listen: '127.0.0.1',
        osapi_compute_listen_port: ports.compute,
        report_interval: 2,
      },
      database: { connection: dbs.cell },
      api_database: { connection: dbs.api },
      identity: { bind_port: ports.identity },
      image: { bind_port: ports.image },
    })
    const procs: ServiceProcess[] = []
    const cloud = new Distributed(dir, conf, procs, ports, computeHost, vhost, dbs)
    try {
      await manage([conf], 'api_db', 'sync')
      await manage([conf], 'db', 'sync')
      await manage([conf], 'bootstrap', '--bootstrap-password', `e2e-${Date.now().toString(36)}`)
      // The image clients boot from (the all-in-one seeds the same placeholder).
      await seedTestImage([conf])
      const hostConf = writeConfig({ DEFAULT: { host: computeHost } })
      for (const [service, files, ready] of [
        ['identity', [conf], 'identity listening on'],
        ['image', [conf], 'image listening on'],
        ['conductor', [conf], 'nova-conductor started'],
        ['scheduler', [conf], 'nova-scheduler started'],
        ['compute', [conf, hostConf], 'nova-compute started'],
        ['api', [conf], 'nova-api listening'],
      ] as const) {
        const proc = startService(service, [...files])
        procs.push(proc)
        await proc.waitFor(ready, 60_000)
      }
    } catch (err) {
      await cloud.stop()
      throw err
    }
    return cloud
  }

  /** The admin's variables, from the openrc `tsnova-manage bootstrap` wrote into state_path. */
  adminEnv(): OsEnv {
    return readOpenrc(path.join(this.dir, 'state', 'openrc'))
  }

  /** Every service's log, for failure messages. */
  output(): string {
    return this.procs.map((p) => `--- ${p.name}\n${p.output().slice(-2000)}`).join('\n')
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()))
    await this.vhost.drop().catch(() => undefined)
    await this.dbs.drop().catch(() => undefined)
  }
}

function runClient(command: string, env: OsEnv, args: readonly string[], home: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...env },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/**
 * Run `openstack <args>` with nothing but the user's `OS_*` variables (and PATH to find python,
 * and an empty HOME so no clouds.yaml interferes).
 */
export function openstack(env: OsEnv, args: readonly string[], home: string): Promise<CliResult> {
  return runClient('openstack', env, args, home)
}

/** Run novaclient's `nova <args>` the same way (Debian's python3-novaclient, beside the CLI). */
export function nova(env: OsEnv, args: readonly string[], home: string): Promise<CliResult> {
  return runClient('nova', env, args, home)
}
