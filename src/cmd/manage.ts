import { randomUUID } from 'node:crypto'
import type { Config } from '../config/config.js'
import { ApiStore } from '../db/api/api-store.js'
import { apiMigrations } from '../db/api/migrations.js'
import type { ApiSchema } from '../db/api/schema.js'
import { cellMigrations } from '../db/cell/migrations.js'
import { connectDb, ensureDatabase } from '../db/connect.js'
import { syncSchema } from '../db/migrate.js'

/** `tsnova-manage api_db sync`: create or migrate the API schema, and seed the default flavors. */
export async function apiDbSync(config: Config): Promise<string[]> {
  const url = config.api_database.connection
  await ensureDatabase(url)
  const db = connectDb<ApiSchema>(url, { poolSize: 1 })
  try {
    const applied = await syncSchema(db, apiMigrations, 'api')
    await new ApiStore(db).seedDefaultFlavors()
    return applied
  } finally {
    await db.kysely.destroy()
  }
}

/**
 * `tsnova-manage db sync`: create or migrate this cell's schema, then map the cell in the API
 * database (what `nova-manage cell_v2 simple_cell_setup` does for a one-cell cloud).
 */
export async function dbSync(config: Config): Promise<string[]> {
  const url = config.database.connection
  await ensureDatabase(url)
  const db = connectDb<unknown>(url, { poolSize: 1 })
  let applied: string[]
  try {
    applied = await syncSchema(db, cellMigrations, 'main')
  } finally {
    await db.kysely.destroy()
  }
  await mapCell(config)
  return applied
}

async function mapCell(config: Config): Promise<void> {
  const api = new ApiStore(connectDb<ApiSchema>(config.api_database.connection, { poolSize: 1 }))
  try {
    const cells = await api.listCells()
    const existing = cells.find((c) => c.database_connection === config.database.connection)
    await api.upsertCell({
      uuid: existing?.uuid ?? randomUUID(),
      name: existing?.name ?? 'cell1',
      transport_url: config.transport_url,
      database_connection: config.database.connection,
    })
  } finally {
    await api.close()
  }
}
