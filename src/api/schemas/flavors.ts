/**
 * `/flavors` bodies and queries (nova/api/openstack/compute/schemas/flavor_manage.py,
 * flavors_extraspecs.py, flavor_access.py, flavors.py).
 */
import { PYTHON_PATTERN } from '../../validation/messages.js'
import { byMicroversion, novaBody, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const SQL_SP_FLOAT_MAX = 3.40282e38

const flavorProperties = {
  name: types.name,
  id: {
    type: ['string', 'number', 'null'],
    minLength: 1,
    maxLength: 255,
    pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$',
  },
  ram: types.flavorParamPositive,
  vcpus: types.flavorParamPositive,
  disk: types.flavorParamNonNegative,
  'OS-FLV-EXT-DATA:ephemeral': types.flavorParamNonNegative,
  swap: types.flavorParamNonNegative,
  rxtx_factor: {
    type: ['number', 'string'],
    pattern: '^[0-9]+(\\.[0-9]+)?$',
    minimum: 0,
    exclusiveMinimum: true,
    maximum: SQL_SP_FLOAT_MAX,
  },
  'os-flavor-access:is_public': types.boolean,
}

const flavorDescription = {
  ...types.description,
  maxLength: 65535,
  [PYTHON_PATTERN]: types.PYTHON_DESCRIPTION_PATTERN,
}

const flavorBody = (properties: Record<string, unknown>, required: readonly string[]) => ({
  type: 'object',
  properties: {
    flavor: { type: 'object', properties, required, additionalProperties: false },
  },
  required: ['flavor'],
  additionalProperties: false,
})

export interface FlavorCreate {
  flavor: {
    name: string
    id?: string | number | null
    ram: number | string
    vcpus: number | string
    disk: number | string
    'OS-FLV-EXT-DATA:ephemeral'?: number | string
    swap?: number | string
    rxtx_factor?: number | string
    'os-flavor-access:is_public'?: boolean | string
    description?: string | null
  }
}

const REQUIRED = ['name', 'ram', 'vcpus', 'disk']
export const validateFlavorCreate = byMicroversion([
  ['2.1', novaBody<FlavorCreate>(flavorBody(flavorProperties, REQUIRED))],
  [
    '2.55',
    novaBody<FlavorCreate>(flavorBody({ ...flavorProperties, description: flavorDescription }, REQUIRED)),
  ],
])
export const validateFlavorUpdate = novaBody<{ flavor: { description: string | null } }>(
  flavorBody({ description: flavorDescription }, ['description']),
)

/** Extra specs: values strings (≤ 255) or numbers, keys Nova's metadata keys. */
const extraSpecs = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'number'], maxLength: 255 } },
  additionalProperties: false,
}
export const validateExtraSpecsCreate = novaBody<{ extra_specs: Record<string, string | number> }>({
  type: 'object',
  properties: { extra_specs: extraSpecs },
  required: ['extra_specs'],
  additionalProperties: false,
})
export const validateExtraSpecUpdate = novaBody<Record<string, string | number>>({
  ...extraSpecs,
  minProperties: 1,
  maxProperties: 1,
})

const tenantAction = (action: string) =>
  novaBody<Record<string, { tenant: string }>>({
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } },
        required: ['tenant'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  })
export const validateAddTenantAccess = tenantAction('addTenantAccess')
export const validateRemoveTenantAccess = tenantAction('removeTenantAccess')

const VALID_SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
]
const indexQuery = {
  type: 'object',
  properties: {
    limit: types.multiParams(types.nonNegativeInteger),
    marker: types.multiParams({ type: 'string' }),
    is_public: types.multiParams({ type: 'string' }),
    minRam: types.multiParams({ type: 'string' }),
    minDisk: types.multiParams({ type: 'string' }),
    sort_key: types.multiParams({ type: 'string', enum: VALID_SORT_KEYS }),
    sort_dir: types.multiParams({ type: 'string', enum: ['asc', 'desc'] }),
  },
  additionalProperties: true,
}
export const validateFlavorIndexQuery = byMicroversion([
  ['2.1', novaQuery(indexQuery)],
  ['2.75', novaQuery({ ...indexQuery, additionalProperties: false })],
])
