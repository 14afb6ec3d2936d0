/**
 * A cell database with many compute hosts, written straight into `services` and
 * `compute_nodes` (as `db sync` plus N computes' first reports would leave them), for the
 * scheduler's database tests and the schedule benchmark.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CellStore } from '../../src/db/cell/cell-store.js'
import { cellMigrations } from '../../src/db/cell/migrations.js'
import type { CellSchema } from '../../src/db/cell/schema.js'
import { connectDb } from '../../src/db/connect.js'
import { syncSchema } from '../../src/db/migrate.js'
import { dbNow } from '../../src/shared/time.js'

export interface SeedHost {
  readonly vcpus: number
  readonly memory_mb: number
  readonly local_gb: number
  readonly reserved_memory_mb?: number
  readonly cpu_allocation_ratio?: number
}

export interface SeededCell {
  readonly cell: CellStore
  readonly url: string
  /** Another connection to the same database (a second scheduler or a conductor). */
  connect(): CellStore
  close(): Promise<void>
}

/** A fresh SQLite cell database with `count` hosts named `${prefix}1`…, each enabled and up. */
export async function seedCell(count: number, size: SeedHost, prefix = 'host'): Promise<SeededCell> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsnova-sched-'))
  const url = `sqlite:///${dir}/nova.sqlite`
  const db = connectDb<CellSchema>(url)
  await syncSchema(db, cellMigrations, 'main')
  const cell = new CellStore(db)
  await addHosts(cell, 1, count, size, prefix)
  const others: CellStore[] = []
  return {
    cell,
    url,
    connect: () => {
      const c = new CellStore(connectDb<CellSchema>(url))
      others.push(c)
      return c
    },
    close: async () => {
      for (const c of others) await c.close()
      await cell.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Hosts `${prefix}${first}` … `${prefix}${first + count - 1}`, reported just now. */
export async function addHosts(
  cell: CellStore,
  first: number,
  count: number,
  size: SeedHost,
  prefix = 'host',
): Promise<void> {
  const now = dbNow()
  const k = cell.db.kysely
  await k.transaction().execute(async (tx) => {
    for (let i = first; i < first + count; i += 250) {
      const names = Array.from({ length: Math.min(250, first + count - i) }, (_, j) => `${prefix}${i + j}`)
      await tx
        .insertInto('services')
        .values(
          names.map((host) => ({
            uuid: randomUUID(),
            host,
            binary: 'nova-compute',
            topic: 'compute',
            report_count: 1,
            disabled: false,
            disabled_reason: null,
            last_seen_up: now,
            forced_down: false,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: null,
          })),
        )
        .execute()
      const services = await tx
        .selectFrom('services')
        .select(['id', 'host'])
        .where('host', 'in', names)
        .execute()
      const serviceId = new Map(services.map((s) => [s.host, s.id]))
      const reserved = size.reserved_memory_mb ?? 512
      await tx
        .insertInto('compute_nodes')
        .values(
          names.map((host) => ({
            uuid: randomUUID(),
            service_id: serviceId.get(host)!,
            host,
            hypervisor_hostname: host,
            hypervisor_type: 'fake',
            hypervisor_version: 1000,
            cpu_info: '{}',
            host_ip: null,
            vcpus: size.vcpus,
            memory_mb: size.memory_mb,
            local_gb: size.local_gb,
            vcpus_used: 0,
            memory_mb_used: reserved,
            local_gb_used: 0,
            free_ram_mb: size.memory_mb - reserved,
            free_disk_gb: size.local_gb,
            disk_available_least: size.local_gb,
            current_workload: 0,
            running_vms: 0,
            cpu_allocation_ratio: size.cpu_allocation_ratio ?? 4,
            ram_allocation_ratio: 1,
            disk_allocation_ratio: 1,
            reserved_vcpus: 0,
            reserved_memory_mb: reserved,
            reserved_disk_gb: 0,
            created_at: now,
            updated_at: now,
            deleted_at: null,
          })),
        )
        .execute()
    }
  })
}
