import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type BetterSqlite3 from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely'

export type DialectName = 'sqlite' | 'mysql' | 'postgres'

/** A database handle and the dialect it speaks (migrations and a few queries differ by dialect). */
export interface Db<Schema> {
  readonly kysely: Kysely<Schema>
  readonly dialect: DialectName
  readonly url: string
}

/**
 * Drivers are loaded when a database of their kind is first opened: a compute host, which has no
 * database, never loads any, and a MariaDB deployment never loads pg.
 */
async function loadPg() {
  const pg = (await import('pg')).default
  // PostgreSQL's `timestamp` comes back as the text it stores, like the other dialects (see shared/time.ts).
  pg.types.setTypeParser(1114, (v: string) => v)
  // COUNT(*) and bigint sums arrive as strings from pg; they are small enough to be numbers here.
  pg.types.setTypeParser(20, (v: string) => Number(v))
  return pg
}

/**
 * Open a database from an oslo.db-style URL: `sqlite:///relative.db`, `sqlite:////abs/path.db`,
 * `mysql://user:pass@host/db` (also `mysql+pymysql://`), `postgresql://user@host/db`.
 */
export function connectDb<Schema>(url: string, options: { poolSize?: number } = {}): Db<Schema> {
  const { dialect, rest } = parseScheme(url)
  const poolSize = options.poolSize ?? 10
  switch (dialect) {
    case 'sqlite': {
      const file = sqlitePath(rest)
      const database = async () => {
        const Database = (await import('better-sqlite3')).default
        if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true })
        const db = new Database(file)
        db.pragma('journal_mode = WAL')
        db.pragma('synchronous = NORMAL')
        db.pragma('busy_timeout = 5000')
        db.pragma('foreign_keys = ON')
        // WAL checkpoints run on a worker thread from this connection's first write on (see
        // walCheckpointer); until then, and if that thread cannot run, the commits do them.
        const onFirstWrite = file === ':memory:' ? undefined : () => walCheckpointer.add(file, db)
        return withBooleans(db, onFirstWrite, () => walCheckpointer.remove(file, db))
      }
      return { kysely: new Kysely<Schema>({ dialect: new SqliteDialect({ database }) }), dialect, url }
    }
    case 'mysql': {
      const u = new URL(`mysql://${rest}`)
      const pool = async () =>
        (await import('mysql2')).createPool({
          host: u.hostname,
          port: Number(u.port || 3306),
          user: decodeURIComponent(u.username),
          password: decodeURIComponent(u.password),
          database: u.pathname.slice(1),
          connectionLimit: poolSize,
          dateStrings: true,
          timezone: 'Z',
          charset: 'utf8mb4',
        })
      return { kysely: new Kysely<Schema>({ dialect: new MysqlDialect({ pool }) }), dialect, url }
    }
    case 'postgres': {
      const pool = async () => {
        const p = new (await loadPg()).Pool({ connectionString: `postgresql://${rest}`, max: poolSize })
        // An idle connection the server closes (a restart, a failover) is dropped from the pool
        // and replaced on next use; unhandled, the error would end the process.
        p.on('error', () => undefined)
        return p
      }
      return { kysely: new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }), dialect, url }
    }
  }
}

/**
 * SQLite has no boolean: bind true/false as 1/0, as the other dialects store them. Statements are
 * prepared once per SQL text and reused (kysely asks for a prepare on every query, which costs
 * more than running most of ours); one still mid-iteration is not shared.
 */
function withBooleans(
  database: BetterSqlite3.Database,
  onFirstWrite?: () => void,
  onClose?: () => void,
): SqliteDatabase {
  const fix = (params: readonly unknown[]) => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p))
  const prepared = new Map<string, BetterSqlite3.Statement>()
  let firstWrite = onFirstWrite
  return {
    close: () => {
      onClose?.()
      database.close()
    },
    prepare(sqlText: string) {
      let statement = prepared.get(sqlText)
      if (!statement || statement.busy) {
        statement = database.prepare(sqlText)
        if (prepared.size >= 1000) prepared.clear()
        prepared.set(sqlText, statement)
      }
      return {
        reader: statement.reader,
        all: (params) => statement.all(fix(params)),
        run: (params) => {
          if (firstWrite) {
            firstWrite()
            firstWrite = undefined
          }
          return statement.run(fix(params))
        },
        iterate: (params) => statement.iterate(fix(params)),
      }
    },
  }
}

/**
 * WAL checkpoints off the event loop. SQLite checkpoints the WAL (copies its pages into the
 * database file) inside the commit that takes it past `wal_autocheckpoint` pages (1000 by
 * default), with an fsync of the WAL and one of the database: 5–10 ms on this kind of disk, during
 * which better-sqlite3, being synchronous, holds the event loop. Measured with the schedule bench
 * (BENCHMARKS.md): one claim in ~110 paid it, and that was the whole p99 of select_destinations.
 *
 * So one worker thread per process, with a connection of its own to each file database the
 * process writes to, runs `PRAGMA wal_checkpoint(PASSIVE)` on each every CHECKPOINT_INTERVAL_MS
 * while they are written to (backing off to IDLE_CHECKPOINT_INTERVAL_MS when not): PASSIVE never
 * waits for nor blocks a reader or writer, so commits go on meanwhile. The WAL can only start
 * over from its beginning at a write that finds it entirely checkpointed; under a steady stream
 * of commits the worker never quite catches up, so the event loop's connections still checkpoint,
 * as a backstop, past BACKSTOP_CHECKPOINT_PAGES (the WAL file grows to 16 MB), by when the worker
 * has copied and synced nearly all of it: ~2 ms instead of 5–10, and four times rarer. The thread
 * starts with the first connection that writes and ends with the last one closed; it never keeps
 * the process alive. Should it fail, connections go back to SQLite's default.
 */
const CHECKPOINT_INTERVAL_MS = 50
const IDLE_CHECKPOINT_INTERVAL_MS = 500
const BACKSTOP_CHECKPOINT_PAGES = 4000
const DEFAULT_CHECKPOINT_PAGES = 1000

/** The worker (CommonJS, evaluated): messages `{ open: file }`, `{ close: file }`, `{ exit: true }`. */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const dbs = new Map()
let delay = workerData.intervalMs
let timer = setTimeout(tick, delay)
function tick() {
  let written = false
  for (const d of dbs.values()) {
    try {
      const r = d.checkpoint.get()
      if (r.log !== d.log) written = true
      d.log = r.log
    } catch {}
  }
  delay = written ? workerData.intervalMs : Math.min(workerData.idleIntervalMs, delay * 2)
  timer = setTimeout(tick, delay)
}
parentPort.on('message', (m) => {
  if (m.open !== undefined && !dbs.has(m.open)) {
    try {
      const db = new Database(m.open, { fileMustExist: true })
      db.pragma('busy_timeout = 0')
      db.pragma('synchronous = NORMAL')
      dbs.set(m.open, { db, checkpoint: db.prepare('PRAGMA wal_checkpoint(PASSIVE)'), log: -1 })
      delay = workerData.intervalMs
    } catch {}
  } else if (m.close !== undefined) {
    try { dbs.get(m.close)?.db.close() } catch {}
    dbs.delete(m.close)
  } else if (m.exit) {
    clearTimeout(timer)
    for (const d of dbs.values()) try { d.db.close() } catch {}
    parentPort.close()
  }
})
`

class WalCheckpointer {
  private worker: Worker | undefined
  private failed = false
  /** Per file, this process's connections that have written to it. */
  private readonly files = new Map<string, Set<BetterSqlite3.Database>>()

  add(file: string, db: BetterSqlite3.Database): void {
    if (this.failed) return
    let worker = this.worker
    if (!worker) {
      try {
        worker = new Worker(CHECKPOINTER_SOURCE, {
          eval: true,
          // A plain thread: no loaders (tsx, vitest) nor profiling flags of the main one.
          execArgv: [],
          workerData: {
            driver: createRequire(import.meta.url).resolve('better-sqlite3'),
            intervalMs: CHECKPOINT_INTERVAL_MS,
            idleIntervalMs: IDLE_CHECKPOINT_INTERVAL_MS,
          },
        })
      } catch {
        this.failed = true
        return
      }
      worker.unref()
      const spawned = worker
      const lost = () => {
        if (this.worker === spawned) this.fail()
      }
      worker.on('error', lost)
      worker.on('exit', lost)
      this.worker = worker
    }
    let conns = this.files.get(file)
    if (!conns) {
      conns = new Set()
      this.files.set(file, conns)
      worker.postMessage({ open: file })
    }
    conns.add(db)
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`)
  }

  remove(file: string, db: BetterSqlite3.Database): void {
    const conns = this.files.get(file)
    if (!conns?.delete(db) || conns.size > 0) return
    this.files.delete(file)
    this.worker?.postMessage({ close: file })
    if (this.files.size === 0 && this.worker) {
      this.worker.postMessage({ exit: true })
      this.worker = undefined
    }
  }

  /** The thread is gone: every connection checkpoints as SQLite does by default again. */
  private fail(): void {
    this.failed = true
    this.worker = undefined
    for (const conns of this.files.values()) {
      for (const db of conns) if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_CHECKPOINT_PAGES}`)
    }
    this.files.clear()
  }
}

const walCheckpointer = new WalCheckpointer()

function parseScheme(url: string): { dialect: DialectName; rest: string } {
  const m = /^([a-z0-9+]+):\/\/(.*)$/i.exec(url)
  if (!m) throw new Error(`Invalid database connection URL '${url}'`)
  const scheme = m[1]!.toLowerCase().split('+')[0]!
  const rest = m[2]!
  if (scheme === 'sqlite') return { dialect: 'sqlite', rest }
  if (scheme === 'mysql' || scheme === 'mariadb') return { dialect: 'mysql', rest }
  if (scheme === 'postgresql' || scheme === 'postgres') return { dialect: 'postgres', rest }
  throw new Error(`Unsupported database '${scheme}' in '${url}' (use sqlite, mysql or postgresql)`)
}

/** SQLAlchemy's rule: `sqlite:///x` is relative, `sqlite:////x` absolute, `sqlite://` in memory. */
function sqlitePath(rest: string): string {
  if (rest === '' || rest === '/' || rest === '/:memory:') return ':memory:'
  return path.resolve(rest.slice(1))
}

/**
 * Run statements on the server an URL points at, outside the database it names (which may not
 * exist yet): `fn` gets the database name and a query function.
 */
async function onServer(
  url: string,
  fn: (name: string, query: (text: string, params?: unknown[]) => Promise<number>) => Promise<void>,
): Promise<void> {
  const { dialect, rest } = parseScheme(url)
  if (dialect === 'sqlite') return
  if (dialect === 'mysql') {
    const u = new URL(`mysql://${rest}`)
    const { createConnection } = await import('mysql2/promise')
    const conn = await createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    })
    try {
      await fn(u.pathname.slice(1).replaceAll('`', ''), async (text, params) => {
        const [rows] = await conn.query(text, params)
        return Array.isArray(rows) ? rows.length : 0
      })
    } finally {
      await conn.end()
    }
    return
  }
  const u = new URL(`postgresql://${rest}`)
  const name = u.pathname.slice(1).replaceAll('"', '')
  u.pathname = '/postgres'
  const client = new (await loadPg()).Client({ connectionString: u.toString() })
  await client.connect()
  try {
    await fn(name, async (text, params) => (await client.query(text, params)).rowCount ?? 0)
  } finally {
    await client.end()
  }
}

/** Create the database an URL names, if the server lacks it (`db sync` on a fresh MariaDB/PostgreSQL). */
export async function ensureDatabase(url: string): Promise<void> {
  const { dialect } = parseScheme(url)
  await onServer(url, async (name, query) => {
    if (dialect === 'mysql') await query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`)
    else if ((await query('SELECT 1 FROM pg_database WHERE datname = $1', [name])) === 0) {
      await query(`CREATE DATABASE "${name}"`)
    }
  })
}

/** Drop the database an URL names (tests clean up after themselves). */
export async function dropDatabase(url: string): Promise<void> {
  const { dialect } = parseScheme(url)
  await onServer(url, async (name, query) => {
    await query(
      dialect === 'mysql'
        ? `DROP DATABASE IF EXISTS \`${name}\``
        : `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`,
    )
  })
}
