/**
 * A RabbitMQ node of a test's own, for tests that stop, crash and restart the broker: the shared
 * broker on 5672 serves every other test file running in parallel and must never be restarted.
 * Its data directory outlives a stop, so a restart finds its durable queues (and their messages)
 * again, as a real broker restart does.
 *
 * Needs the RabbitMQ server installed (Debian's `rabbitmq-server` package; override the directory
 * of its scripts with TSNOVA_TEST_RABBITMQ_SBIN). Runs as the current user, with its own Erlang
 * cookie, config and ports: nothing of the system's broker is touched.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './processes.js'

const exec = promisify(execFile)

/** Debian puts the real scripts here (those in /usr/sbin switch to the rabbitmq user first). */
const SBIN = process.env.TSNOVA_TEST_RABBITMQ_SBIN ?? '/usr/lib/rabbitmq/bin'
/** The Erlang distribution ports rabbitmqctl itself takes (RABBITMQ_CTL_DIST_PORT_MIN/MAX). */
const CLI_DIST_PORTS = { from: 35672, to: 35682 }
const STARTUP_TIMEOUT_MS = 60_000

export class PrivateRabbit {
  private server: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()

  private constructor(
    readonly node: string,
    readonly port: number,
    private readonly distPort: number,
    readonly dir: string,
  ) {}

  /** Start a fresh node and wait until it serves AMQP. Throws, saying why, if it cannot run here. */
  static async launch(): Promise<PrivateRabbit> {
    for (const script of ['rabbitmq-server', 'rabbitmqctl']) {
      if (!existsSync(path.join(SBIN, script))) {
        throw new Error(
          `A private RabbitMQ node needs ${path.join(SBIN, script)} (install rabbitmq-server, or set TSNOVA_TEST_RABBITMQ_SBIN)`,
        )
      }
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-rabbit-'))
    writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n')
    // guest may connect from anywhere: the node listens on 127.0.0.1 only anyway.
    writeFileSync(path.join(dir, 'rabbitmq.conf'), 'loopback_users = none\n')
    writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '')
    const rabbit = new PrivateRabbit(
      `tsnova-${randomBytes(4).toString('hex')}@localhost`,
      await portOutsideCliRange(),
      await portOutsideCliRange(),
      dir,
    )
    try {
      await rabbit.start()
    } catch (err) {
      await rabbit.destroy()
      throw err
    }
    return rabbit
  }

  /** `rabbit://guest:guest@127.0.0.1:<port>/<vhost>` */
  url(vhost: string): string {
    return `rabbit://guest:guest@127.0.0.1:${this.port}/${encodeURIComponent(vhost)}`
  }

  async addVhost(vhost: string): Promise<string> {
    await this.ctl('add_vhost', vhost)
    await this.ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*')
    return this.url(vhost)
  }

  /** rabbitmqctl against this node. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await exec(path.join(SBIN, 'rabbitmqctl'), ['-q', '-n', this.node, ...args], {
      env: this.env(),
      timeout: 60_000,
    })
    return stdout
  }

  /** Stop the node cleanly (`rabbitmqctl stop`), as an operator's restart does. */
  async stop(): Promise<void> {
    if (!this.running()) return
    await this.ctl('stop')
    await this.gone()
  }

  /** Kill the node outright (SIGKILL to its whole process group), as a crash or power cut does. */
  async kill(): Promise<void> {
    const pid = this.server?.pid
    if (!pid || !this.running()) return
    safelyKillGroup(pid)
    await this.gone()
  }

  /** The script has exited and the VM (which may outlive it by a moment) no longer listens. */
  private async gone(): Promise<void> {
    await this.exited
    const deadline = Date.now() + 30_000
    while (await portOpen(this.port)) {
      if (Date.now() > deadline)
        throw new Error(`private RabbitMQ node ${this.node} still listens after stopping`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  private running(): boolean {
    return this.server !== undefined && this.server.exitCode === null && this.server.signalCode === null
  }

  /** Start the node again on the same data directory. */
  async restart(how: 'stop' | 'kill' = 'stop'): Promise<void> {
    await (how === 'stop' ? this.stop() : this.kill())
    await this.start()
  }

  /** Stop the node for good and remove its data. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => this.kill())
    rmSync(this.dir, { recursive: true, force: true })
  }

  private env(): NodeJS.ProcessEnv {
    const dir = this.dir
    return {
      ...process.env,
      // Erlang reads its cookie from $HOME: a private one, shared with this node's rabbitmqctl only.
      HOME: dir,
      RABBITMQ_NODENAME: this.node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.port),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(dir, 'log'),
      RABBITMQ_PID_FILE: path.join(dir, 'rabbit.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
      // Not the system's rabbitmq-env.conf: it names the shared node and its port.
      RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    }
  }

  /** Start the (stopped) node on its data directory and wait until it serves AMQP. */
  async start(): Promise<void> {
    const logFile = path.join(this.dir, 'server.out')
    const fd = openSync(logFile, 'a')
    // Its own process group, so a kill reaches the Erlang VM and its helpers too.
    const server = spawn(path.join(SBIN, 'rabbitmq-server'), [], {
      env: this.env(),
      detached: true,
      stdio: ['ignore', fd, fd],
    })
    closeSync(fd)
    this.server = server
    this.exited = new Promise((resolve) => server.once('exit', () => resolve()))
    // A test run that ends without destroy() (a crash, a kill) must not leave the node running.
    const killOnExit = (): void => {
      if (server.pid) safelyKillGroup(server.pid)
    }
    process.once('exit', killOnExit)
    server.once('exit', () => process.off('exit', killOnExit))
    const deadline = Date.now() + STARTUP_TIMEOUT_MS
    while (!(await portOpen(this.port))) {
      if (server.exitCode !== null || server.signalCode !== null || Date.now() > deadline) {
        const why = server.exitCode !== null ? `exited (${server.exitCode})` : 'did not open its port in time'
        throw new Error(`private RabbitMQ node ${this.node} ${why}: ${tail(logFile)}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
    await this.ctl('await_startup')
  }
}

function safelyKillGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

async function portOutsideCliRange(): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port < CLI_DIST_PORTS.from || port > CLI_DIST_PORTS.to) return port
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port })
    const done = (open: boolean): void => {
      sock.destroy()
      resolve(open)
    }
    sock.setTimeout(1000, () => done(false))
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '(no output)'
}
