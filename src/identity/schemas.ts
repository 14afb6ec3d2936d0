/**
 * Keystone's request schemas (keystone/{resource,identity,assignment,catalog}/schema.py and
 * common/validation/parameter_types.py), each checked on the entity (`{"project": {…}}` → the
 * project). Where Keystone keeps a field in an unsized column and we do not, the schema adds the
 * column's size (noted at each).
 */
import { keystoneEntity } from '../validation/keystone.js'

const nullable = (schema: Record<string, unknown>) => ({
  ...schema,
  type: [schema.type as string, 'null'],
})

const boolean = { type: 'boolean', enum: [true, false] }
const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '[\\S]+' }
const idString = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' }
const description = { type: 'string' }
const url = { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' }
/** Projects and domains: names of at most 64 characters. */
const resourceName = { type: 'string', minLength: 1, maxLength: 64, pattern: '[\\S]+' }
const tags = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' },
  maxItems: 80,
  uniqueItems: true,
}

/** Create (the required fields) and update (one field at least) of one entity. */
function createAndUpdate<T>(properties: Record<string, unknown>, required: readonly string[]) {
  return {
    create: keystoneEntity<T & { name: string }>({
      type: 'object',
      properties,
      required,
      additionalProperties: true,
    }),
    update: keystoneEntity<T>({ type: 'object', properties, minProperties: 1, additionalProperties: true }),
  }
}

export interface DomainRef {
  name?: string
  description?: string | null
  enabled?: boolean
}
export const domainSchemas = createAndUpdate<DomainRef>(
  { description: nullable(description), enabled: boolean, name: resourceName, tags },
  ['name'],
)

export interface ProjectRef extends DomainRef {
  domain_id?: string | null
  is_domain?: boolean
}
export const projectSchemas = createAndUpdate<ProjectRef>(
  {
    description: nullable(description),
    domain_id: nullable(idString),
    enabled: boolean,
    is_domain: boolean,
    parent_id: nullable(idString),
    name: resourceName,
    tags,
  },
  ['name'],
)

export interface UserRef {
  name?: string
  domain_id?: string
  default_project_id?: string | null
  description?: string | null
  enabled?: boolean
  password?: string | null
  email?: string | null
}
export const userSchemas = createAndUpdate<UserRef>(
  {
    default_project_id: nullable(idString),
    description: nullable(description),
    domain_id: idString,
    enabled: boolean,
    name,
    password: { type: ['string', 'null'] },
    // Keystone keeps `email` among a user's free-form extras; here it has a 255-character column.
    email: { type: ['string', 'null'], maxLength: 255 },
  },
  ['name'],
)

export const validatePasswordChange = keystoneEntity<{ original_password: string; password: string }>({
  type: 'object',
  properties: { original_password: { type: 'string' }, password: { type: 'string' } },
  required: ['original_password', 'password'],
  additionalProperties: false,
})

export interface RoleRef {
  name?: string
  description?: string
}
export const roleSchemas = createAndUpdate<RoleRef>({ name, description }, ['name'])

export interface ServiceRef {
  type: string
  name?: string
  description?: string | null
  enabled?: boolean
}
export const validateServiceCreate = keystoneEntity<ServiceRef>({
  type: 'object',
  properties: { enabled: boolean, name, type: { type: 'string', minLength: 1, maxLength: 255 } },
  required: ['type'],
  additionalProperties: true,
})

export interface EndpointRef {
  interface: 'admin' | 'internal' | 'public'
  service_id: string
  url: string
  region_id?: string
  region?: string
  enabled?: boolean
}
// Keystone's region ids are bounded by the region table (255); here by the endpoint's column.
const regionId = { type: 'string', maxLength: 255 }
export const validateEndpointCreate = keystoneEntity<EndpointRef>({
  type: 'object',
  properties: {
    enabled: boolean,
    interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
    region_id: regionId,
    region: regionId,
    service_id: { type: 'string' },
    url,
  },
  required: ['interface', 'service_id', 'url'],
  additionalProperties: true,
})

/**
 * The entity of a request body, as Keystone's resources read it: `body.get(key, {})`. What is
 * not an object is left to the schema to refuse.
 */
export function entityOf(body: unknown, key: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {}
  return Object.hasOwn(body, key) ? (body as Record<string, unknown>)[key] : {}
}
