/** `/os-services` (nova/api/openstack/compute/schemas/services.py). */
import { byMicroversion, novaBody, novaQuery } from '../../validation/nova.js'
import * as types from './parameter-types.js'

const reason = { type: 'string', minLength: 1, maxLength: 255 }

export interface LegacyServiceUpdate {
  host: string
  binary: string
  disabled_reason?: string
  forced_down?: boolean | string
}
export interface ServiceUpdate {
  status?: 'enabled' | 'disabled'
  disabled_reason?: string
  forced_down?: boolean | string
}

const legacy = (withForcedDown: boolean) =>
  novaBody<LegacyServiceUpdate>({
    type: 'object',
    properties: {
      host: types.fqdn,
      binary: { type: 'string', minLength: 1, maxLength: 255 },
      disabled_reason: reason,
      ...(withForcedDown ? { forced_down: types.boolean } : {}),
    },
    required: ['host', 'binary'],
    additionalProperties: false,
  })

export const validateLegacyServiceUpdate = byMicroversion([
  ['2.1', legacy(false)],
  ['2.11', legacy(true)],
])

export const validateServiceUpdate = novaBody<ServiceUpdate>({
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['enabled', 'disabled'] },
    disabled_reason: reason,
    forced_down: types.boolean,
  },
  additionalProperties: false,
})

const indexQuery = {
  type: 'object',
  properties: { host: types.commonQueryParam, binary: types.commonQueryParam },
  additionalProperties: true,
}
export const validateServiceIndexQuery = byMicroversion([
  ['2.1', novaQuery(indexQuery)],
  ['2.75', novaQuery({ ...indexQuery, additionalProperties: false })],
])
