import { type ColumnDataType, type CreateTableBuilder, type Expression, sql } from 'kysely'
import type { DialectName } from './connect.js'

/** Column types that differ by dialect, named for what they hold. */
export function columnTypes(dialect: DialectName) {
  return {
    /** Naive-UTC timestamp with microseconds (stored and read back as text; see shared/time.ts). */
    timestamp: (dialect === 'mysql'
      ? 'datetime(6)'
      : dialect === 'postgres'
        ? 'timestamp(6)'
        : 'text') as ColumnDataType,
    /** JSON documents up to megabytes (request specs, serialized instances). */
    longText: (dialect === 'mysql' ? sql`mediumtext` : 'text') as ColumnDataType | Expression<unknown>,
    float: (dialect === 'sqlite' ? 'real' : 'double precision') as ColumnDataType,
    bool: 'boolean' as ColumnDataType,
  }
}

/** An auto-increment integer primary key `id`, in each dialect's way. */
export function withId<T extends string>(
  table: CreateTableBuilder<T, never>,
  dialect: DialectName,
): CreateTableBuilder<T, 'id'> {
  if (dialect === 'postgres') return table.addColumn('id', 'serial', (c) => c.primaryKey())
  return table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
}

/** Nova's TimestampMixin + SoftDeleteMixin: created_at, updated_at, deleted_at, deleted (= id once deleted). */
export function withTimestamps<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
  dialect: DialectName,
  softDelete: boolean,
): CreateTableBuilder<T, C | 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'> {
  const t = columnTypes(dialect)
  let b = table.addColumn('created_at', t.timestamp).addColumn('updated_at', t.timestamp)
  if (softDelete)
    b = b
      .addColumn('deleted_at', t.timestamp)
      .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
  return b as CreateTableBuilder<T, C | 'created_at' | 'updated_at' | 'deleted_at' | 'deleted'>
}
