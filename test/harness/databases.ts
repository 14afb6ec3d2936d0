/**
 * Throwaway databases for tests: a SQLite file in a temp dir, or a uniquely named database on the
 * local MariaDB / PostgreSQL, dropped afterwards, so runs never see each other's state.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { cell0Connection } from '../../src/cmd/manage.js'
import { dropDatabase } from '../../src/db/connect.js'

export type DbKind = 'sqlite' | 'mysql' | 'postgres'

export interface TestDatabases {
  readonly cell: string
  readonly api: string
  drop(): Promise<void>
}

/** The servers test databases are created on (each database is new and dropped afterwards). */
export const MYSQL_SERVER = process.env.TSNOVA_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306'
export const POSTGRES_SERVER = process.env.TSNOVA_TEST_POSTGRES ?? 'postgresql://postgres@127.0.0.1:5432'

export function createDatabases(kind: DbKind): TestDatabases {
  const suffix = randomBytes(5).toString('hex')
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-test-'))
    return {
      cell: `sqlite:///${dir}/nova.sqlite`,
      api: `sqlite:///${dir}/nova_api.sqlite`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const base = kind === 'mysql' ? MYSQL_SERVER : POSTGRES_SERVER
  const cell = `${base}/tsnova_test_${suffix}`
  const api = `${base}/tsnova_api_test_${suffix}`
  return {
    cell,
    api,
    drop: async () => {
      await dropDatabase(cell)
      await dropDatabase(cell0Connection(cell))
      await dropDatabase(api)
    },
  }
}
