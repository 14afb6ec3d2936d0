import type { Kysely } from 'kysely'
import { columnTypes, withId, withTimestamps } from '../columns.js'
import type { DialectName } from '../connect.js'
import type { VersionedMigration } from '../migrate.js'
import { flavorProjectsMigration } from './flavor-access.js'
import { serverGroupsAndAggregatesMigration } from './groups-aggregates.js'

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
  {
    name: '002_identity',
    async up(db: Kysely<unknown>, dialect: DialectName) {
      const t = columnTypes(dialect)
      const id = 'varchar(64)'
      await db.schema
        .createTable('identity_domains')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', t.timestamp)
        .execute()
      await db.schema
        .createTable('identity_projects')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('domain_id', id, (c) => c.notNull().references('identity_domains.id'))
        .addColumn('description', 'text')
        .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', t.timestamp)
        .addUniqueConstraint('uniq_identity_projects0domain_id0name', ['domain_id', 'name'])
        .execute()
      await db.schema
        .createTable('identity_users')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('domain_id', id, (c) => c.notNull().references('identity_domains.id'))
        .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(true))
        .addColumn('password_hash', 'text')
        .addColumn('default_project_id', id)
        .addColumn('email', 'varchar(255)')
        .addColumn('description', 'text')
        .addColumn('password_created_at', t.timestamp)
        .addColumn('created_at', t.timestamp)
        .addUniqueConstraint('uniq_identity_users0domain_id0name', ['domain_id', 'name'])
        .execute()
      await db.schema
        .createTable('identity_roles')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_at', t.timestamp)
        .execute()
      await withId(db.schema.createTable('identity_role_assignments'), dialect)
        .addColumn('type', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor_id', id, (c) => c.notNull())
        .addColumn('target_id', id, (c) => c.notNull())
        .addColumn('role_id', id, (c) => c.notNull().references('identity_roles.id').onDelete('cascade'))
        .addUniqueConstraint('uniq_identity_role_assignments0type0actor0target0role', [
          'type',
          'actor_id',
          'target_id',
          'role_id',
        ])
        .execute()
      await db.schema
        .createIndex('identity_role_assignments_actor_id_idx')
        .on('identity_role_assignments')
        .column('actor_id')
        .execute()
      await db.schema
        .createTable('identity_services')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('type', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(true))
        .execute()
      await db.schema
        .createTable('identity_endpoints')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('service_id', id, (c) =>
          c.notNull().references('identity_services.id').onDelete('cascade'),
        )
        .addColumn('interface', 'varchar(8)', (c) => c.notNull())
        .addColumn('region_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(true))
        .execute()
      await withId(db.schema.createTable('identity_revocations'), dialect)
        .addColumn('audit_id', id)
        .addColumn('user_id', id)
        .addColumn('project_id', id)
        .addColumn('issued_before', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('identity_signing_keys')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute()
    },
  },
  {
    name: '003_images',
    async up(db: Kysely<unknown>, dialect: DialectName) {
      const t = columnTypes(dialect)
      await db.schema
        .createTable('images')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)')
        .addColumn('status', 'varchar(30)', (c) => c.notNull())
        .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
        .addColumn('owner', 'varchar(255)')
        .addColumn('size', 'bigint')
        .addColumn('virtual_size', 'bigint')
        .addColumn('checksum', 'varchar(32)')
        .addColumn('os_hash_algo', 'varchar(64)')
        .addColumn('os_hash_value', 'varchar(128)')
        .addColumn('disk_format', 'varchar(20)')
        .addColumn('container_format', 'varchar(20)')
        .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('protected', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('os_hidden', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp)
        .execute()
      await db.schema.createIndex('images_owner_idx').on('images').column('owner').execute()
      await withId(db.schema.createTable('image_properties'), dialect)
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addUniqueConstraint('uniq_image_properties0image_id0name', ['image_id', 'name'])
        .execute()
      await withId(db.schema.createTable('image_tags'), dialect)
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('uniq_image_tags0image_id0value', ['image_id', 'value'])
        .execute()
      await withTimestamps(withId(db.schema.createTable('image_members'), dialect), dialect, false)
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('member', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addUniqueConstraint('uniq_image_members0image_id0member', ['image_id', 'member'])
        .execute()
    },
  },
  serverGroupsAndAggregatesMigration,
  flavorProjectsMigration,
  {
    // The conductor's re-drive counts how often it sent a build request again, so work that fails
    // the same way every time ends ([conductor] redrive_max_attempts) instead of looping.
    name: '006_build_request_redrives',
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('build_requests')
        .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
  },
]
