/** `/os-server-groups` (nova/api/openstack/compute/schemas/server_groups.py). */
import { byMicroversion, novaBody, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const HARD = ['anti-affinity', 'affinity']
const ALL = [...HARD, 'soft-anti-affinity', 'soft-affinity']

const policies = (allowed: readonly string[]) => ({
  type: 'array',
  items: [{ type: 'string', enum: allowed }],
  uniqueItems: true,
  minItems: 1,
  maxItems: 1,
  additionalItems: false,
})

const body = (properties: Record<string, unknown>, required: readonly string[]) => ({
  type: 'object',
  properties: {
    server_group: { type: 'object', properties, required, additionalProperties: false },
  },
  required: ['server_group'],
  additionalProperties: false,
})

export interface ServerGroupCreate {
  server_group: {
    name: string
    policies?: string[]
    policy?: string
    rules?: { max_server_per_host?: number | string }
  }
}

export const validateServerGroupCreate = byMicroversion([
  [
    '2.1',
    novaBody<ServerGroupCreate>(body({ name: types.name, policies: policies(HARD) }, ['name', 'policies'])),
  ],
  [
    '2.15',
    novaBody<ServerGroupCreate>(body({ name: types.name, policies: policies(ALL) }, ['name', 'policies'])),
  ],
  [
    '2.64',
    novaBody<ServerGroupCreate>(
      body(
        {
          name: types.name,
          policy: { type: 'string', enum: ALL },
          rules: {
            type: 'object',
            properties: { max_server_per_host: types.positiveInteger },
            additionalProperties: false,
          },
        },
        ['name', 'policy'],
      ),
    ),
  ],
])

const indexQuery = {
  type: 'object',
  properties: {
    all_projects: types.multiParams({ type: 'string' }),
    limit: types.multiParams(types.nonNegativeInteger),
    offset: types.multiParams(types.nonNegativeInteger),
  },
  additionalProperties: true,
}
export const validateServerGroupIndexQuery = byMicroversion([
  ['2.1', novaQuery(indexQuery)],
  ['2.75', novaQuery({ ...indexQuery, additionalProperties: false })],
])
