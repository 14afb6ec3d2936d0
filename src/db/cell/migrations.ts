import type { Kysely } from 'kysely'
import { columnTypes, withId, withTimestamps } from '../columns.js'
import type { DialectName } from '../connect.js'
import type { VersionedMigration } from '../migrate.js'

/** A cell database's migrations, in order. Never edit a released one: add the next. */
export const cellMigrations: readonly VersionedMigration[] = [
  {
    name: '001_initial',
    async up(db: Kysely<unknown>, dialect: DialectName) {
      const t = columnTypes(dialect)
      await withTimestamps(withId(db.schema.createTable('instances'), dialect), dialect, true)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('user_id', 'varchar(255)')
        .addColumn('project_id', 'varchar(255)')
        .addColumn('display_name', 'varchar(255)')
        .addColumn('display_description', 'text')
        .addColumn('hostname', 'varchar(255)')
        .addColumn('vm_state', 'varchar(255)')
        .addColumn('task_state', 'varchar(255)')
        .addColumn('power_state', 'integer')
        .addColumn('host', 'varchar(255)')
        .addColumn('node', 'varchar(255)')
        .addColumn('launched_on', 'text')
        .addColumn('image_ref', 'varchar(255)')
        .addColumn('instance_type_id', 'integer')
        .addColumn('flavor', 'text')
        .addColumn('memory_mb', 'integer')
        .addColumn('vcpus', 'integer')
        .addColumn('root_gb', 'integer')
        .addColumn('ephemeral_gb', 'integer')
        .addColumn('availability_zone', 'varchar(255)')
        .addColumn('reservation_id', 'varchar(255)')
        .addColumn('launch_index', 'integer')
        .addColumn('key_name', 'varchar(255)')
        .addColumn('user_data', t.longText as never)
        .addColumn('metadata', 'text')
        .addColumn('config_drive', 'varchar(255)')
        .addColumn('access_ip_v4', 'varchar(39)')
        .addColumn('access_ip_v6', 'varchar(39)')
        .addColumn('progress', 'integer')
        .addColumn('locked', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('locked_by', 'varchar(16)')
        .addColumn('root_device_name', 'varchar(255)')
        .addColumn('launched_at', t.timestamp)
        .addColumn('terminated_at', t.timestamp)
        .execute()
      await db.schema
        .createIndex('instances_project_id_deleted_idx')
        .on('instances')
        .columns(['project_id', 'deleted'])
        .execute()
      await db.schema
        .createIndex('instances_host_deleted_idx')
        .on('instances')
        .columns(['host', 'deleted'])
        .execute()
      await withTimestamps(withId(db.schema.createTable('instance_faults'), dialect), dialect, true)
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('message', 'varchar(255)', (c) => c.notNull())
        .addColumn('details', 'text')
        .addColumn('host', 'varchar(255)')
        .execute()
      await db.schema
        .createIndex('instance_faults_instance_uuid_idx')
        .on('instance_faults')
        .column('instance_uuid')
        .execute()
      await withTimestamps(withId(db.schema.createTable('instance_actions'), dialect), dialect, true)
        .addColumn('action', 'varchar(255)', (c) => c.notNull())
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(255)')
        .addColumn('project_id', 'varchar(255)')
        .addColumn('start_time', t.timestamp)
        .addColumn('finish_time', t.timestamp)
        .addColumn('message', 'varchar(255)')
        .execute()
      await db.schema
        .createIndex('instance_uuid_idx')
        .on('instance_actions')
        .columns(['instance_uuid', 'request_id'])
        .execute()
      await withTimestamps(withId(db.schema.createTable('instance_actions_events'), dialect), dialect, true)
        .addColumn('action_id', 'integer', (c) => c.notNull())
        .addColumn('event', 'varchar(255)', (c) => c.notNull())
        .addColumn('start_time', t.timestamp)
        .addColumn('finish_time', t.timestamp)
        .addColumn('result', 'varchar(255)')
        .addColumn('traceback', 'text')
        .addColumn('host', 'varchar(255)')
        .addColumn('details', 'text')
        .execute()
      await withTimestamps(withId(db.schema.createTable('services'), dialect), dialect, true)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('binary', 'varchar(255)', (c) => c.notNull())
        .addColumn('topic', 'varchar(255)')
        .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('disabled_reason', 'varchar(255)')
        .addColumn('last_seen_up', t.timestamp)
        .addColumn('forced_down', t.bool, (c) => c.notNull().defaultTo(false))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('uniq_services0host0binary0deleted', ['host', 'binary', 'deleted'])
        .execute()
      await withTimestamps(withId(db.schema.createTable('compute_nodes'), dialect), dialect, true)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('service_id', 'integer')
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_hostname', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
        .addColumn('cpu_info', 'text', (c) => c.notNull())
        .addColumn('host_ip', 'varchar(39)')
        .addColumn('vcpus', 'integer', (c) => c.notNull())
        .addColumn('memory_mb', 'integer', (c) => c.notNull())
        .addColumn('local_gb', 'integer', (c) => c.notNull())
        .addColumn('vcpus_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('memory_mb_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('local_gb_used', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('free_ram_mb', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('free_disk_gb', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disk_available_least', 'integer')
        .addColumn('current_workload', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('running_vms', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cpu_allocation_ratio', t.float, (c) => c.notNull())
        .addColumn('ram_allocation_ratio', t.float, (c) => c.notNull())
        .addColumn('disk_allocation_ratio', t.float, (c) => c.notNull())
        .addColumn('reserved_vcpus', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reserved_memory_mb', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('reserved_disk_gb', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('vcpus_allocated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('memory_mb_allocated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disk_gb_allocated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('mapped', 'integer', (c) => c.notNull().defaultTo(0))
        .addUniqueConstraint('uniq_compute_nodes0host0hypervisor_hostname0deleted', [
          'host',
          'hypervisor_hostname',
          'deleted',
        ])
        .execute()
      await withId(db.schema.createTable('allocations'), dialect)
        .addColumn('consumer_uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('compute_node_id', 'integer', (c) => c.notNull())
        .addColumn('vcpus', 'integer', (c) => c.notNull())
        .addColumn('memory_mb', 'integer', (c) => c.notNull())
        .addColumn('disk_gb', 'integer', (c) => c.notNull())
        .addColumn('created_at', t.timestamp)
        .execute()
    },
  },
  {
    // The scheduler keeps host states in memory and re-reads only the rows changed since its
    // last look (by updated_at), and counts claims per node; failed_builds feeds BuildFailureWeigher.
    name: '002_scheduler_host_state',
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('compute_nodes')
        .addColumn('failed_builds', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await db.schema
        .createIndex('compute_nodes_updated_at_idx')
        .on('compute_nodes')
        .column('updated_at')
        .execute()
      await db.schema.createIndex('services_updated_at_idx').on('services').column('updated_at').execute()
      await db.schema
        .createIndex('allocations_compute_node_id_idx')
        .on('allocations')
        .column('compute_node_id')
        .execute()
    },
  },
  {
    // Hard server-group policies are checked in the claim itself, under the node's row lock:
    // each claim records its group, so a second anti-affinity member on a node is refused.
    name: '003_allocation_groups',
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('allocations').addColumn('instance_group_uuid', 'varchar(36)').execute()
      await db.schema
        .createIndex('allocations_group_node_idx')
        .on('allocations')
        .columns(['instance_group_uuid', 'compute_node_id'])
        .execute()
    },
  },
  {
    // As build requests: builds and deletes the re-drive sent again, counted so they end.
    name: '004_instance_redrives',
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('instances')
        .addColumn('redrive_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
  },
  {
    // Nova's system metadata (the reason of a lock now; more keys with later actions), as the
    // user's metadata is kept: one JSON object per instance.
    name: '005_instance_system_metadata',
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('instances').addColumn('system_metadata', 'text').execute()
    },
  },
]
