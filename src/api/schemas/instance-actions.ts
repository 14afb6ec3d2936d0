/** `/servers/{id}/os-instance-actions` queries (nova/api/openstack/compute/schemas/instance_actions.py). */
import { byMicroversion, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const dateTime = types.singleParam({ type: 'string', format: 'date-time' })
const v258 = {
  type: 'object',
  properties: {
    limit: types.singleParam(types.nonNegativeInteger),
    marker: types.singleParam({ type: 'string' }),
    'changes-since': dateTime,
  },
  additionalProperties: false,
}

export const validateInstanceActionsQuery = byMicroversion([
  ['2.1', () => undefined],
  ['2.58', novaQuery(v258)],
  ['2.66', novaQuery({ ...v258, properties: { ...v258.properties, 'changes-before': dateTime } })],
])
