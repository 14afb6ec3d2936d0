/**
 * The README's distributed walkthrough, run as printed: every ```sh block marked
 * `<!-- walkthrough -->`, in order, in one `bash -e` (so a failing line fails the test), in a
 * fresh directory, then checked with the real `openstack` CLI.
 *
 * The README's lines run unchanged except where this test must not collide with anything else
 * on the machine (other suites, an all-in-one someone left running), and each substitution must
 * match exactly as often as expected, so a README edit that dodges one fails here:
 *
 * - the RabbitMQ vhost: `rabbit://guest:guest@127.0.0.1:5672/` (the default vhost) gets a vhost of
 *   this test's own;
 * - the database names: `mysql://root@127.0.0.1/tsnova…` becomes `…/tsnova_readme_<random>…`
 *   (the cell database, `_api`, and the `_cell0` that `db sync` derives from the cell's);
 * - the ports: `osapi_compute_listen_port = 8774`, `bind_port = 5000`, `bind_port = 9292` get
 *   free ones.
 *
 * And two things are added around the script, not changed in it: a `trap` that writes the PIDs
 * of the background services (`jobs -p`) to a file when the shell exits, so that they can be
 * stopped by PID; and `bin/` in the directory, a link to the checkout's (the README runs from the
 * checkout; here the files it writes land in the temp directory instead).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { dropDatabase } from '../../src/db/connect.js'
import { describeNeeding } from '../harness/matrix.js'
import { freePort } from '../harness/processes.js'
import { createVhost, listQueues, type TestVhost } from '../harness/rabbit.js'
import { openstack, readOpenrc, requireOpenstackCli } from './cli.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const MARKER = '<!-- walkthrough -->'
const SCRIPT_TIMEOUT_MS = 240_000

/** The ```sh blocks that follow a walkthrough marker, in README order. */
function walkthroughBlocks(readme: string): string[] {
  const blocks: string[] = []
  const lines = readme.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARKER) continue
    let j = i + 1
    while (j < lines.length && lines[j]!.trim() === '') j++
    if (lines[j] !== '```sh')
      throw new Error(`README line ${i + 1}: ${MARKER} is not followed by a \`\`\`sh block`)
    const end = lines.indexOf('```', j + 1)
    if (end < 0) throw new Error(`README line ${j + 1}: the walkthrough block does not end`)
    blocks.push(lines.slice(j + 1, end).join('\n'))
    i = end
  }
  return blocks
}

/** Replace `pattern` (global) by `by`, insisting on exactly `times` matches. */
function substitute(script: string, pattern: RegExp, by: string, times: number): string {
  const found = script.match(pattern)?.length ?? 0
  if (found !== times) {
    throw new Error(
      `the walkthrough has ${found} × ${pattern} where the test expects ${times}: update the test's substitutions`,
    )
  }
  return script.replace(pattern, by)
}

/** Whether a process is still running (a zombie whose parent is gone does not count). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The state follows the parenthesised command name, which may itself hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function stopPids(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 20_000
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL')
}

describeNeeding('the README distributed walkthrough, as printed', ['rabbitmq', 'mysql'], () => {
  let dir: string
  let home: string
  let vhost: TestVhost | undefined
  let databases: string[] = []
  let shell: ChildProcess | undefined
  let shellCode: number | null = null
  let pidFile: string
  let logFile: string
  let seconds = 0

  const output = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
  /** The script's output and the end of each service log, for a failure message. */
  const diagnostics = () =>
    [
      `--- walkthrough output\n${output().slice(-4000)}`,
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.log') && f !== 'walkthrough.log')
        .map((f) => `--- ${f}\n${readFileSync(path.join(dir, f), 'utf8').slice(-1500)}`),
    ].join('\n')

  beforeAll(async () => {
    requireOpenstackCli()
    dir = mkdtempSync(path.join(tmpdir(), 'tsnova-readme-'))
    home = mkdtempSync(path.join(tmpdir(), 'tsnova-readme-home-'))
    symlinkSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'))
    pidFile = path.join(dir, 'walkthrough.pids')
    logFile = path.join(dir, 'walkthrough.log')

    const blocks = walkthroughBlocks(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
    expect(blocks.length, 'walkthrough blocks in README.md').toBeGreaterThanOrEqual(3)
    vhost = await createVhost()
    const dbPrefix = `tsnova_readme_${randomBytes(4).toString('hex')}`
    databases = [dbPrefix, `${dbPrefix}_api`, `${dbPrefix}_cell0`].map(
      (name) => `mysql://root@127.0.0.1/${name}`,
    )
    let script = blocks.join('\n')
    script = substitute(
      script,
      /rabbit:\/\/guest:guest@127\.0\.0\.1:5672\/$/gm,
      `$&${encodeURIComponent(vhost.vhost)}`,
      1,
    )
    script = substitute(
      script,
      /mysql:\/\/root@127\.0\.0\.1\/tsnova/g,
      `mysql://root@127.0.0.1/${dbPrefix}`,
      2,
    )
    script = substitute(
      script,
      /^osapi_compute_listen_port = 8774$/m,
      `osapi_compute_listen_port = ${await freePort()}`,
      1,
    )
    script = substitute(script, /^bind_port = 5000$/m, `bind_port = ${await freePort()}`, 1)
    script = substitute(script, /^bind_port = 9292$/m, `bind_port = ${await freePort()}`, 1)
    const scriptFile = path.join(dir, 'walkthrough.sh')
    writeFileSync(scriptFile, `trap 'jobs -p > ${pidFile}' EXIT\n${script}\n`)

    // The user's shell: their PATH (node, openstack), no OS_* of ours, a HOME without clouds.yaml.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')))
    const fd = openSync(logFile, 'a')
    const started = Date.now()
    // Its own process group, so that a shell stuck past the timeout goes with everything it started.
    shell = spawn('bash', ['-e', scriptFile], {
      cwd: dir,
      env: { ...env, HOME: home },
      stdio: ['ignore', fd, fd],
      detached: true,
    })
    closeSync(fd)
    const child = shell
    shellCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
      }, SCRIPT_TIMEOUT_MS)
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve(code)
      })
    })
    seconds = Math.round((Date.now() - started) / 1000)
  }, SCRIPT_TIMEOUT_MS + 60_000)

  afterAll(async () => {
    const pids = existsSync(pidFile)
      ? readFileSync(pidFile, 'utf8').split(/\s+/).filter(Boolean).map(Number)
      : []
    await stopPids(pids)
    // Anything of the walkthrough's that the PID file missed (a shell killed before its trap ran).
    if (shell?.pid !== undefined) {
      try {
        process.kill(-shell.pid, 'SIGKILL')
      } catch {
        // the group is empty
      }
    }
    await vhost?.drop().catch(() => undefined)
    for (const url of databases) await dropDatabase(url).catch(() => undefined)
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (home) rmSync(home, { recursive: true, force: true })
  }, 60_000)

  it('runs every line without a failure, ending with vm1 ACTIVE in `openstack server list`', () => {
    expect(shellCode, diagnostics()).toBe(0)
    expect(output(), diagnostics()).toMatch(/^\| [0-9a-f-]{36} \| vm1 +\| ACTIVE +\|/m)
    console.log(`the README walkthrough ran in ${seconds} s`)
  })

  it('the admin of its openrc sees vm1 ACTIVE on tiny', async () => {
    const admin = readOpenrc(path.join(dir, 'controller-state', 'openrc'))
    const res = await openstack(admin, ['server', 'show', 'vm1', '-f', 'json'], home)
    expect(res.code, res.stderr).toBe(0)
    const server = JSON.parse(res.stdout) as { status: string; image: string }
    expect(server.status).toBe('ACTIVE')
    expect(server.image).toMatch(/^tiny \(/)
  })

  it("RabbitMQ holds the queues the README's distributed docs list", async () => {
    const shapes = (await listQueues(vhost!.vhost))
      .map((q) => q.name.replace(/_[0-9a-f]{32}$/, '_<uuid>'))
      .sort()
    expect(shapes).toEqual([
      'compute',
      'compute.host1',
      'compute_fanout_<uuid>',
      'conductor',
      'conductor.controller',
      'conductor_fanout_<uuid>',
      // One per process that has made an RPC call: compute (to the conductor) and the
      // conductor (to the scheduler). The API only casts.
      'reply_<uuid>',
      'reply_<uuid>',
      'scheduler',
      'scheduler.controller',
      'scheduler_fanout_<uuid>',
    ])
  })
})
