import { randomUUID } from 'node:crypto'
import type { Config } from '../config/config.js'
import { ApiStore } from '../db/api/api-store.js'
import { apiMigrations } from '../db/api/migrations.js'
import type { ApiSchema } from '../db/api/schema.js'
import { cellMigrations } from '../db/cell/migrations.js'
import { connectDb, ensureDatabase } from '../db/connect.js'
import { syncSchema } from '../db/migrate.js'
import { CELL0_UUID, type CellMapping, isCell0 } from '../objects/cell-mapping.js'

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
 * `tsnova-manage db sync`: create or migrate this cell's schema and cell0's, mapping both in the
 * API database when they are not (what `nova-manage cell_v2 simple_cell_setup` does for a
 * one-cell cloud; a cell0 mapped before by `cell_v2 map_cell0` keeps its database).
 */
export async function dbSync(config: Config): Promise<string[]> {
  const applied = await syncCellSchema(config.database.connection)
  const cell0 = await withApiStore(config, async (api) => {
    await mapCell(api, config)
    return (await cell0Mapping(api)) ?? (await mapCell0(api, cell0Connection(config.database.connection)))
  })
  await syncCellSchema(cell0.database_connection)
  return applied
}

/**
 * `tsnova-manage cell_v2 map_cell0 [--database_connection URL]`: map cell0, whose database holds
 * the servers no host could take. By default it is the cell database's name with `_cell0`
 * appended (`nova` → `nova_cell0`; for SQLite, `nova.sqlite` → `nova_cell0.sqlite`), as Nova's.
 */
export async function mapCell0Command(config: Config, databaseConnection?: string): Promise<CellMapping> {
  const url = databaseConnection ?? cell0Connection(config.database.connection)
  const cell0 = await withApiStore(config, (api) => mapCell0(api, url))
  await syncCellSchema(url)
  return cell0
}

/** `tsnova-manage cell_v2 list_cells`: every cell mapping, passwords hidden. */
export async function listCells(config: Config): Promise<CellMapping[]> {
  return withApiStore(config, (api) => api.listCells())
}

async function syncCellSchema(url: string): Promise<string[]> {
  await ensureDatabase(url)
  const db = connectDb<unknown>(url, { poolSize: 1 })
  try {
    return await syncSchema(db, cellMigrations, 'main')
  } finally {
    await db.kysely.destroy()
  }
}

async function withApiStore<T>(config: Config, fn: (api: ApiStore) => Promise<T>): Promise<T> {
  const api = new ApiStore(connectDb<ApiSchema>(config.api_database.connection, { poolSize: 1 }))
  try {
    return await fn(api)
  } finally {
    await api.close()
  }
}

async function mapCell(api: ApiStore, config: Config): Promise<void> {
  const cells = await api.listCells()
  const existing = cells.find((c) => c.database_connection === config.database.connection && !isCell0(c))
  await api.upsertCell({
    uuid: existing?.uuid ?? randomUUID(),
    name: existing?.name ?? 'cell1',
    transport_url: config.transport_url,
    database_connection: config.database.connection,
  })
}

async function cell0Mapping(api: ApiStore): Promise<CellMapping | undefined> {
  return (await api.listCells()).find(isCell0)
}

async function mapCell0(api: ApiStore, databaseConnection: string): Promise<CellMapping> {
  // cell0 has no hosts, so no message bus: Nova maps it with `none:///`.
  await api.upsertCell({
    uuid: CELL0_UUID,
    name: 'cell0',
    transport_url: 'none:///',
    database_connection: databaseConnection,
  })
  return (await cell0Mapping(api))!
}

/** The cell database's URL with `_cell0` appended to the database name (before `.sqlite`). */
export function cell0Connection(cellConnection: string): string {
  const [base, query] = cellConnection.split('?', 2) as [string, string | undefined]
  const renamed = /\.(sqlite3?|db)$/.test(base)
    ? base.replace(/\.(sqlite3?|db)$/, '_cell0.$1')
    : base.replace(/\/*$/, '') + '_cell0'
  return query === undefined ? renamed : `${renamed}?${query}`
}
