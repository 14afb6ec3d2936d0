import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'
import type { Db, DialectName } from './connect.js'

export interface VersionedMigration {
  readonly name: string
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>
}

/**
 * Bring a database to the newest schema (`tsnova-manage db sync` / `api_db sync`). Applied
 * migrations are recorded in a table of their own per database, so the API and cell schemas can
 * share one database in a small deployment.
 */
export async function syncSchema<S>(
  db: Db<S>,
  migrations: readonly VersionedMigration[],
  table: string,
): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {}
      for (const m of migrations) out[m.name] = { up: (k: Kysely<unknown>) => m.up(k, db.dialect) }
      return out
    },
  }
  const migrator = new Migrator({
    db: db.kysely as unknown as Kysely<unknown>,
    provider,
    migrationTableName: `${table}_migration`,
    migrationLockTableName: `${table}_migration_lock`,
    // Work merged from parallel branches adds migrations whose names interleave with ones a
    // database already ran; each is independent of the others, so run whichever is missing.
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
