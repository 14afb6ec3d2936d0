/** `POST /servers` (nova/api/openstack/compute/schemas/servers.py `create*`). */
import { byMicroversion, novaBody } from '../../validation/nova.js'
import * as types from './parameter-types.js'

type Schema = Record<string, unknown> & { properties: Record<string, Record<string, unknown>> }

const serverId = { type: 'string', format: 'uuid' }
const imageId = { type: 'string', format: 'uuid' }

const legacyBlockDeviceMapping = {
  type: 'object',
  properties: {
    virtual_name: { type: 'string', maxLength: 255 },
    volume_id: { type: 'string', format: 'uuid' },
    snapshot_id: imageId,
    volume_size: types.volumeSize,
    device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-r/]*$' },
    delete_on_termination: types.boolean,
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
  },
  additionalProperties: false,
}

const blockDeviceMappingV2 = {
  ...legacyBlockDeviceMapping,
  properties: {
    ...legacyBlockDeviceMapping.properties,
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
    image_id: imageId,
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    guest_format: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
  },
}

/** The hints Nova's schema checks; any other hint passes (`additionalProperties: True`). */
const schedulerHints = {
  type: 'object',
  properties: {
    group: { type: 'string', format: 'uuid' },
    different_host: {
      oneOf: [
        { type: 'string', format: 'uuid' },
        { type: 'array', items: serverId },
      ],
    },
    same_host: { type: ['string', 'array'], items: serverId },
    query: { type: ['string', 'object'] },
    target_cell: types.name,
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    build_near_host_ip: types.ipAddress,
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
}

const networkItem = (uuid: Record<string, unknown>, withTag: boolean) => ({
  type: 'object',
  properties: {
    fixed_ip: types.ipAddress,
    port: { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] },
    uuid,
    ...(withTag ? { tag: types.tag } : {}),
  },
  additionalProperties: false,
})

const create: Schema = {
  type: 'object',
  properties: {
    server: {
      type: 'object',
      properties: {
        name: types.name,
        imageRef: types.imageIdOrEmptyString,
        flavorRef: types.flavorRef,
        adminPass: types.adminPassword,
        metadata: types.metadata,
        networks: { type: 'array', items: networkItem({ type: 'string' }, false) },
        'OS-DCF:diskConfig': types.diskConfig,
        accessIPv4: types.accessIPv4,
        accessIPv6: types.accessIPv6,
        personality: {
          type: 'array',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } },
            additionalProperties: false,
          },
        },
        availability_zone: types.name,
        block_device_mapping: { type: 'array', items: legacyBlockDeviceMapping },
        block_device_mapping_v2: { type: 'array', items: blockDeviceMappingV2 },
        config_drive: types.boolean,
        key_name: types.name,
        min_count: types.positiveInteger,
        max_count: types.positiveInteger,
        return_reservation_id: types.boolean,
        security_groups: {
          type: 'array',
          items: { type: 'object', properties: { name: types.name }, additionalProperties: false },
        },
        user_data: { type: 'string', format: 'base64', maxLength: 65535 },
      },
      required: ['name', 'flavorRef'],
      additionalProperties: false,
    },
    'os:scheduler_hints': schedulerHints,
    'OS-SCH-HNT:scheduler_hints': schedulerHints,
  },
  required: ['server'],
  additionalProperties: false,
}

/** A copy of `base` whose server object is changed by `edit` (Nova's deepcopy-and-patch). */
function derive(base: Schema, edit: (server: Schema) => void): Schema {
  const copy = structuredClone(base)
  edit(copy.properties.server as Schema)
  return copy
}

const bdmWithTag = (server: Schema) => {
  const items = (server.properties.block_device_mapping_v2 as { items: Schema }).items
  items.properties.tag = types.tag
}

const v219 = derive(create, (s) => {
  s.properties.description = types.description
})
const v232 = derive(v219, (s) => {
  s.properties.networks = { type: 'array', items: networkItem({ type: 'string' }, true) }
  bdmWithTag(s)
})
const v233 = derive(v219, (s) => {
  s.properties.networks = { type: 'array', items: networkItem({ type: 'string' }, true) }
})
const networksOrKeyword = (withTag: boolean) => ({
  oneOf: [
    { type: 'array', items: networkItem({ type: 'string', format: 'uuid' }, withTag) },
    { type: 'string', enum: ['none', 'auto'] },
  ],
})
const v237 = derive(v233, (s) => {
  ;(s.required as string[]).push('networks')
  s.properties.networks = networksOrKeyword(false)
})
const v242 = derive(v237, (s) => {
  s.properties.networks = networksOrKeyword(true)
  bdmWithTag(s)
})
const v252 = derive(v242, (s) => {
  s.properties.tags = { type: 'array', items: types.tag, maxItems: 50 }
})
const v257 = derive(v252, (s) => {
  delete s.properties.personality
})
const v263 = derive(v257, (s) => {
  s.properties.trusted_image_certificates = {
    type: ['array', 'null'],
    minItems: 1,
    maxItems: 50,
    uniqueItems: true,
    items: { type: 'string', minLength: 1 },
  }
})
const v267 = derive(v263, (s) => {
  const items = (s.properties.block_device_mapping_v2 as { items: Schema }).items
  items.properties.volume_type = { type: ['string', 'null'], minLength: 0, maxLength: 255 }
})
const v274 = derive(v267, (s) => {
  s.properties.host = types.fqdn
  s.properties.hypervisor_hostname = types.fqdn
})
const v290 = derive(v274, (s) => {
  s.properties.hostname = {
    type: 'string',
    minLength: 2,
    maxLength: 63,
    pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$',
  }
})

export interface CreateServerBody {
  server: {
    name: string
    imageRef?: string
    flavorRef: string | number
    adminPass?: string
    networks?: unknown
    min_count?: number | string
    max_count?: number | string
    availability_zone?: string
    key_name?: string
    user_data?: string
    metadata?: Record<string, string>
    description?: string | null
    accessIPv4?: string
    accessIPv6?: string
    config_drive?: boolean | string
    return_reservation_id?: boolean | string
    host?: string
    hypervisor_hostname?: string
  }
  'os:scheduler_hints'?: Record<string, unknown>
  'OS-SCH-HNT:scheduler_hints'?: Record<string, unknown>
}

export const validateCreateServer = byMicroversion(
  (
    [
      ['2.1', create],
      ['2.19', v219],
      ['2.32', v232],
      ['2.33', v233],
      ['2.37', v237],
      ['2.42', v242],
      ['2.52', v252],
      ['2.57', v257],
      ['2.63', v263],
      ['2.67', v267],
      ['2.74', v274],
      ['2.90', v290],
    ] as const
  ).map(([version, schema]) => [version, novaBody<CreateServerBody>(schema)] as const),
)
