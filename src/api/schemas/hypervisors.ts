/** `/os-hypervisors` queries (nova/api/openstack/compute/schemas/hypervisors.py). */
import { byMicroversion, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const noCheck = () => undefined

export const validateHypervisorListQuery = byMicroversion([
  ['2.1', noCheck],
  [
    '2.33',
    novaQuery({
      type: 'object',
      properties: {
        limit: types.multiParams(types.nonNegativeInteger),
        marker: types.multiParams({ type: 'string' }),
      },
      additionalProperties: true,
    }),
  ],
  [
    '2.53',
    novaQuery({
      type: 'object',
      properties: {
        limit: types.singleParam(types.nonNegativeInteger),
        marker: types.singleParam({ type: 'string' }),
        hypervisor_hostname_pattern: types.singleParam(types.fqdn),
        with_servers: types.singleParam(types.boolean),
      },
      additionalProperties: false,
    }),
  ],
])

export const validateHypervisorShowQuery = byMicroversion([
  ['2.1', noCheck],
  [
    '2.53',
    novaQuery({
      type: 'object',
      properties: { with_servers: types.singleParam(types.boolean) },
      additionalProperties: false,
    }),
  ],
])
