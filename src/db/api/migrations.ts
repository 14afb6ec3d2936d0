import type { Kysely } from 'kysely'
import { columnTypes, withId, withTimestamps } from '../columns.js'
import type { DialectName } from '../connect.js'
import type { VersionedMigration } from '../migrate.js'

/** The API database's migrations, in order. Never edit a released one: add the next. */
export const apiMigrations: readonly VersionedMigration[] = [
  {
    name: '001_initial',
    async up(db: Kysely<unknown>, dialect: DialectName) {
      const t = columnTypes(dialect)
      await withTimestamps(withId(db.schema.createTable('flavors'), dialect), dialect, false)
        .addColumn('flavorid', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('memory_mb', 'integer', (c) => c.notNull())
        .addColumn('vcpus', 'integer', (c) => c.notNull())
        .addColumn('root_gb', 'integer', (c) => c.notNull())
        .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
        .addColumn('swap', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rxtx_factor', t.float, (c) => c.notNull().defaultTo(1))
        .addColumn('vcpu_weight', 'integer')
        .addColumn('disabled', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('is_public', t.bool, (c) => c.notNull().defaultTo(true))
        .addColumn('description', 'text')
        .execute()
      await withId(db.schema.createTable('flavor_extra_specs'), dialect)
        .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('uniq_flavor_extra_specs0flavor_id0key', ['flavor_id', 'key'])
        .execute()
      await withTimestamps(withId(db.schema.createTable('cell_mappings'), dialect), dialect, false)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)')
        .addColumn('transport_url', 'text', (c) => c.notNull())
        .addColumn('database_connection', 'text', (c) => c.notNull())
        .addColumn('disabled', t.bool, (c) => c.notNull().defaultTo(false))
        .execute()
      await withTimestamps(withId(db.schema.createTable('host_mappings'), dialect), dialect, false)
        .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell_mappings.id'))
        .addColumn('host', 'varchar(255)', (c) => c.notNull().unique())
        .execute()
      await withTimestamps(withId(db.schema.createTable('instance_mappings'), dialect), dialect, false)
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('cell_id', 'integer', (c) => c.references('cell_mappings.id'))
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(255)')
        .addColumn('queued_for_delete', t.bool, (c) => c.notNull().defaultTo(false))
        .execute()
      await db.schema
        .createIndex('instance_mappings_project_id_idx')
        .on('instance_mappings')
        .column('project_id')
        .execute()
      await withTimestamps(withId(db.schema.createTable('request_specs'), dialect), dialect, false)
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('spec', t.longText as never, (c) => c.notNull())
        .execute()
      await withTimestamps(withId(db.schema.createTable('build_requests'), dialect), dialect, false)
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('instance', t.longText as never, (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('build_requests_project_id_idx')
        .on('build_requests')
        .column('project_id')
        .execute()
    },
  },
]
