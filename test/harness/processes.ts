/**
 * A distributed cloud for tests: each service its own OS process (`bin/tsnova <service>`), as an
 * operator would run them, sharing one config file.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')
// The built services (`npm test` builds first), started as an operator starts them.
const MAIN = path.join(ROOT, 'dist/cmd/tsnova.js')
const MANAGE = path.join(ROOT, 'dist/cmd/tsnova-manage.js')

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

export function writeConfig(sections: Record<string, Record<string, string | number>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-conf-'))
  const file = path.join(dir, 'nova.conf')
  const text = Object.entries(sections)
    .map(
      ([group, values]) =>
        `[${group}]\n${Object.entries(values)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
    )
    .join('\n')
  writeFileSync(file, text)
  return file
}

/**
 * A service process whose output goes to a log file, as a real deployment's would: a pipe to
 * this (busy) process could fill up and stall the service on its own log writes.
 */
export class ServiceProcess {
  private readonly exited: Promise<number | null>

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  }

  output(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''
  }

  /** Resolve once a log line contains `text`. */
  async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!this.output().includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited: ${this.output().slice(-2000)}`)
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: no '${text}' within ${timeoutMs} ms: ${this.output().slice(-2000)}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill(signal)
    await this.exited
  }
}

export interface StartOptions {
  readonly env?: Record<string, string>
  /** Arguments after the service name (e.g. `--fake-hosts 8`). */
  readonly args?: readonly string[]
  /** Arguments to node itself (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[]
}

export function startService(
  service: string,
  configFiles: string[],
  options: StartOptions = {},
): ServiceProcess {
  const args = [
    ...(options.nodeArgs ?? []),
    MAIN,
    service,
    ...configFiles.flatMap((f) => ['--config-file', f]),
    ...(options.args ?? []),
  ]
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), `tsnova-${service}-`)), `${service}.log`)
  const fd = openSync(logFile, 'a')
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  return new ServiceProcess(service, child, logFile)
}

export async function manage(configFiles: string[], ...command: string[]): Promise<string> {
  const args = [MANAGE, ...configFiles.flatMap((f) => ['--config-file', f]), ...command]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString()
  })
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`tsnova-manage ${command.join(' ')} failed (${code}): ${out}`)
  return out
}
