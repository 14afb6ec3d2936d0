import type { Generated, Kysely } from 'kysely'
import { withId, withTimestamps } from '../columns.js'
import type { DialectName } from '../connect.js'
import type { VersionedMigration } from '../migrate.js'

/** Which projects may use a private flavor (Nova's `flavor_projects`, in the API database). */
export interface FlavorAccessSchema {
  flavor_projects: {
    id: Generated<number>
    flavor_id: number
    project_id: string
    created_at: string | null
    updated_at: string | null
  }
}

/** The table behind `/flavors/{id}/os-flavor-access` and `addTenantAccess`/`removeTenantAccess`. */
export const flavorProjectsMigration: VersionedMigration = {
  name: '005_flavor_projects',
  async up(db: Kysely<unknown>, dialect: DialectName) {
    await withTimestamps(withId(db.schema.createTable('flavor_projects'), dialect), dialect, false)
      .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
      .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
      .addUniqueConstraint('uniq_flavor_projects0flavor_id0project_id', ['flavor_id', 'project_id'])
      .execute()
    await db.schema
      .createIndex('flavor_projects_project_id_idx')
      .on('flavor_projects')
      .column('project_id')
      .execute()
  },
}
