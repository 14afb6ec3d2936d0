import type { Generated } from 'kysely'

/** The API database: what exists before an instance has a cell, and what spans cells. */
export interface ApiSchema {
  flavors: FlavorsTable
  flavor_extra_specs: { id: Generated<number>; flavor_id: number; key: string; value: string }
  cell_mappings: {
    id: Generated<number>
    uuid: string
    name: string | null
    transport_url: string
    database_connection: string
    disabled: boolean | number
    created_at: string | null
    updated_at: string | null
  }
  host_mappings: {
    id: Generated<number>
    cell_id: number
    host: string
    created_at: string | null
    updated_at: string | null
  }
  instance_mappings: {
    id: Generated<number>
    instance_uuid: string
    cell_id: number | null
    project_id: string
    user_id: string | null
    queued_for_delete: boolean | number
    created_at: string | null
    updated_at: string | null
  }
  request_specs: {
    id: Generated<number>
    instance_uuid: string
    spec: string
    created_at: string | null
    updated_at: string | null
  }
  build_requests: {
    id: Generated<number>
    instance_uuid: string
    project_id: string
    instance: string
    created_at: string | null
    updated_at: string | null
  }
}

export interface FlavorsTable {
  id: Generated<number>
  flavorid: string
  name: string
  memory_mb: number
  vcpus: number
  root_gb: number
  ephemeral_gb: number
  swap: number
  rxtx_factor: number
  vcpu_weight: number | null
  disabled: boolean | number
  is_public: boolean | number
  description: string | null
  created_at: string | null
  updated_at: string | null
}
