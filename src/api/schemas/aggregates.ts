/**
 * `/os-aggregates` bodies (nova/api/openstack/compute/schemas/aggregates.py). Nova's schemas
 * also list `'type': 'object'` among the properties (a slip that makes "type" a property whose
 * schema is not one); it is left out.
 */
import { novaBody } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const availabilityZone = { oneOf: [types.azName, { type: 'null' }] }

const wrapped = (key: string, inner: Record<string, unknown>) => ({
  type: 'object',
  properties: { [key]: { type: 'object', ...inner } },
  required: [key],
  additionalProperties: false,
})

export interface AggregateFields {
  name?: string
  availability_zone?: string | null
}

export const validateAggregateCreate = novaBody<{ aggregate: AggregateFields & { name: string } }>(
  wrapped('aggregate', {
    properties: { name: types.name, availability_zone: availabilityZone },
    required: ['name'],
    additionalProperties: false,
  }),
)

export const validateAggregateUpdate = novaBody<{ aggregate: AggregateFields }>(
  wrapped('aggregate', {
    properties: { name: types.nameWithLeadingTrailingSpaces, availability_zone: availabilityZone },
    additionalProperties: false,
    anyOf: [{ required: ['name'] }, { required: ['availability_zone'] }],
  }),
)

const hostAction = (action: string) =>
  novaBody<Record<string, { host: string }>>(
    wrapped(action, { properties: { host: types.fqdn }, required: ['host'], additionalProperties: false }),
  )
export const validateAddHost = hostAction('add_host')
export const validateRemoveHost = hostAction('remove_host')

export const validateSetMetadata = novaBody<{ set_metadata: { metadata: Record<string, string | null> } }>(
  wrapped('set_metadata', {
    properties: { metadata: types.metadataWithNull },
    required: ['metadata'],
    additionalProperties: false,
  }),
)
