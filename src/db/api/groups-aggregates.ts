import type { Generated, Kysely } from 'kysely'
import { withId, withTimestamps } from '../columns.js'
import type { DialectName } from '../connect.js'
import type { VersionedMigration } from '../migrate.js'

/** Server groups and host aggregates: Nova keeps both in the API database. */
export interface GroupsAggregatesSchema {
  instance_groups: {
    id: Generated<number>
    uuid: string
    name: string | null
    user_id: string | null
    project_id: string | null
    created_at: string | null
    updated_at: string | null
  }
  /** One row per group (Nova's table allows more; only one was ever used). */
  instance_group_policy: {
    id: Generated<number>
    group_id: number
    policy: string
    /** JSON object: `{"max_server_per_host": "2"}` */
    rules: string | null
    created_at: string | null
    updated_at: string | null
  }
  instance_group_member: {
    id: Generated<number>
    group_id: number
    instance_uuid: string
    created_at: string | null
    updated_at: string | null
  }
  aggregates: {
    id: Generated<number>
    uuid: string
    name: string
    /**
     * Not Nova's: bumped by every change to the aggregate, its hosts or its metadata, so a
     * scheduler can tell from one small query that its copy is stale.
     */
    generation: number
    created_at: string | null
    updated_at: string | null
  }
  aggregate_hosts: {
    id: Generated<number>
    aggregate_id: number
    host: string
    created_at: string | null
    updated_at: string | null
  }
  aggregate_metadata: {
    id: Generated<number>
    aggregate_id: number
    key: string
    value: string
    created_at: string | null
    updated_at: string | null
  }
}

/** The API database's tables for `/os-server-groups` and `/os-aggregates`. */
export const serverGroupsAndAggregatesMigration: VersionedMigration = {
  name: '004_server_groups_and_aggregates',
  async up(db: Kysely<unknown>, dialect: DialectName) {
    await withTimestamps(withId(db.schema.createTable('instance_groups'), dialect), dialect, false)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)')
      .addColumn('user_id', 'varchar(255)')
      .addColumn('project_id', 'varchar(255)')
      .execute()
    await db.schema
      .createIndex('instance_groups_project_id_idx')
      .on('instance_groups')
      .column('project_id')
      .execute()
    await withTimestamps(withId(db.schema.createTable('instance_group_policy'), dialect), dialect, false)
      .addColumn('group_id', 'integer', (c) =>
        c.notNull().references('instance_groups.id').onDelete('cascade'),
      )
      .addColumn('policy', 'varchar(255)', (c) => c.notNull())
      .addColumn('rules', 'text')
      .execute()
    await db.schema
      .createIndex('instance_group_policy_group_id_idx')
      .on('instance_group_policy')
      .column('group_id')
      .execute()
    await withTimestamps(withId(db.schema.createTable('instance_group_member'), dialect), dialect, false)
      .addColumn('group_id', 'integer', (c) =>
        c.notNull().references('instance_groups.id').onDelete('cascade'),
      )
      .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
      .addUniqueConstraint('uniq_instance_group_member0group_id0instance_uuid', ['group_id', 'instance_uuid'])
      .execute()
    await db.schema
      .createIndex('instance_group_member_instance_idx')
      .on('instance_group_member')
      .column('instance_uuid')
      .execute()
    await withTimestamps(withId(db.schema.createTable('aggregates'), dialect), dialect, false)
      .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
      .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
      .execute()
    await withTimestamps(withId(db.schema.createTable('aggregate_hosts'), dialect), dialect, false)
      .addColumn('aggregate_id', 'integer', (c) =>
        c.notNull().references('aggregates.id').onDelete('cascade'),
      )
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addUniqueConstraint('uniq_aggregate_hosts0host0aggregate_id', ['host', 'aggregate_id'])
      .execute()
    await withTimestamps(withId(db.schema.createTable('aggregate_metadata'), dialect), dialect, false)
      .addColumn('aggregate_id', 'integer', (c) =>
        c.notNull().references('aggregates.id').onDelete('cascade'),
      )
      .addColumn('key', 'varchar(255)', (c) => c.notNull())
      .addColumn('value', 'varchar(255)', (c) => c.notNull())
      .addUniqueConstraint('uniq_aggregate_metadata0aggregate_id0key', ['aggregate_id', 'key'])
      .execute()
    await db.schema.createIndex('aggregate_metadata_key_idx').on('aggregate_metadata').column('key').execute()
  },
}
