import type { Generated } from 'kysely'
import type { FlavorAccessSchema } from './flavor-access.js'
import type { GroupsAggregatesSchema } from './groups-aggregates.js'

/** The API database: what exists before an instance has a cell, and what spans cells. */
export interface ApiSchema extends IdentitySchema, ImageSchema, GroupsAggregatesSchema, FlavorAccessSchema {
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
    /** How many times the conductor's re-drive sent it again. */
    redrive_count: Generated<number>
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

/** The identity service's tables (Keystone v3 subset), in the API database. */
export interface IdentitySchema {
  identity_domains: {
    id: string
    name: string
    description: string | null
    enabled: boolean | number
    created_at: string | null
  }
  identity_projects: {
    id: string
    name: string
    domain_id: string
    description: string | null
    enabled: boolean | number
    created_at: string | null
  }
  identity_users: {
    id: string
    name: string
    domain_id: string
    enabled: boolean | number
    password_hash: string | null
    default_project_id: string | null
    email: string | null
    description: string | null
    password_created_at: string | null
    created_at: string | null
  }
  identity_roles: { id: string; name: string; description: string | null; created_at: string | null }
  identity_role_assignments: {
    id: Generated<number>
    /** `UserProject` or `UserDomain`, as Keystone's assignment table. */
    type: string
    actor_id: string
    target_id: string
    role_id: string
  }
  identity_services: {
    id: string
    type: string
    name: string
    description: string | null
    enabled: boolean | number
  }
  identity_endpoints: {
    id: string
    service_id: string
    interface: string
    region_id: string
    url: string
    enabled: boolean | number
  }
  /** Revoked tokens: by audit id, or every token of a user (on a project) issued before a time. */
  identity_revocations: {
    id: Generated<number>
    audit_id: string | null
    user_id: string | null
    project_id: string | null
    issued_before: string
    expires_at: string
  }
  /** Ed25519 keys that sign tokens; every API process verifies with the public halves. */
  identity_signing_keys: { id: string; private_key: string; public_key: string; created_at: string }
}

/** The image service's tables (Glance v2 subset), in the API database. */
export interface ImageSchema {
  images: ImagesTable
  image_properties: { id: Generated<number>; image_id: string; name: string; value: string }
  image_tags: { id: Generated<number>; image_id: string; value: string }
  image_members: {
    id: Generated<number>
    image_id: string
    member: string
    status: string
    created_at: string | null
    updated_at: string | null
  }
}

export interface ImagesTable {
  id: string
  name: string | null
  status: string
  visibility: string
  owner: string | null
  size: number | null
  virtual_size: number | null
  checksum: string | null
  os_hash_algo: string | null
  os_hash_value: string | null
  disk_format: string | null
  container_format: string | null
  min_disk: number
  min_ram: number
  protected: boolean | number
  os_hidden: boolean | number
  created_at: string
  updated_at: string | null
}
