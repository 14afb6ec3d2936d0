/** `GET /servers[/detail]` query strings (nova/api/openstack/compute/schemas/servers.py `query_params_*`). */
import type { JsonSchema } from '../../validation/engine.js'
import { byMicroversion, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

/** Sort keys Nova accepts but ignores before 2.75 (SERVER_LIST_IGNORE_SORT_KEY). */
export const IGNORED_SORT_KEYS = [
  'architecture',
  'cell_name',
  'cleaned',
  'default_ephemeral_device',
  'default_swap_device',
  'deleted',
  'deleted_at',
  'disable_terminate',
  'ephemeral_gb',
  'ephemeral_key_uuid',
  'id',
  'key_data',
  'launched_on',
  'locked',
  'memory_mb',
  'os_type',
  'reservation_id',
  'root_gb',
  'shutdown_terminate',
  'user_data',
  'vcpus',
  'vm_mode',
] as const

/** Nova's valid sort keys (VALID_SORT_KEYS), without the ignored ones. */
export const SORT_KEYS = [
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'instance_type_id',
  'kernel_id',
  'key_name',
  'launch_index',
  'launched_at',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'ramdisk_id',
  'root_device_name',
  'task_state',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
] as const

const param = types.commonQueryParam
const dateTimes = types.multiParams({ type: 'string', format: 'date-time' })
const sortKeys = (keys: readonly string[]) => types.multiParams({ type: 'string', enum: [...keys] })

const v21Properties: Record<string, JsonSchema> = Object.fromEntries([
  ...[
    'user_id',
    'project_id',
    'tenant_id',
    'launch_index',
    'image_ref',
    'image',
    'kernel_id',
    'ramdisk_id',
    'hostname',
    'key_name',
    'power_state',
    'vm_state',
    'task_state',
    'host',
    'node',
    'flavor',
    'reservation_id',
    'launched_at',
    'terminated_at',
    'availability_zone',
    'name',
    'display_name',
    'description',
    'display_description',
    'locked_by',
    'uuid',
    'root_device_name',
    'config_drive',
    'access_ip_v4',
    'access_ip_v6',
    'auto_disk_config',
    'progress',
    'sort_dir',
    'all_tenants',
    'soft_deleted',
    'deleted',
    'status',
    'ip',
    'ip6',
    'created_at',
  ].map((name) => [name, param]),
  ['sort_key', sortKeys([...SORT_KEYS, ...IGNORED_SORT_KEYS])],
  ['changes-since', dateTimes],
  ['limit', types.multiParams(types.nonNegativeInteger)],
  ['marker', types.multiParams({ type: 'string' })],
])

const v21 = {
  type: 'object',
  properties: v21Properties,
  // Before 2.75 unknown parameters pass (and are dropped); `_`-prefixed ones are checked still.
  additionalProperties: true,
  patternProperties: { '^_': param },
}
const v226 = {
  ...v21,
  properties: {
    ...v21.properties,
    tags: param,
    'tags-any': param,
    'not-tags': param,
    'not-tags-any': param,
  },
}
const v266 = { ...v226, properties: { ...v226.properties, 'changes-before': dateTimes } }
const v273 = {
  ...v266,
  properties: {
    ...v266.properties,
    sort_key: sortKeys(['locked', ...SORT_KEYS, ...IGNORED_SORT_KEYS.filter((k) => k !== 'locked')]),
    locked: param,
  },
}
const v275 = {
  ...v273,
  properties: { ...v273.properties, sort_key: sortKeys(['locked', ...SORT_KEYS]) },
  additionalProperties: false,
}

export const validateServersQuery = byMicroversion([
  ['2.1', novaQuery(v21)],
  ['2.26', novaQuery(v226)],
  ['2.66', novaQuery(v266)],
  ['2.73', novaQuery(v273)],
  ['2.75', novaQuery(v275)],
])
