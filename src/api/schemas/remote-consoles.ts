/** Remote console bodies (nova/api/openstack/compute/schemas/remote_consoles.py). */
import { byMicroversion, novaBody } from '../../validation/nova.js'

/** An `os-get*Console` action (before 2.6): its key holding `{"type": <one of types>}`. */
function legacyConsole(key: string, types: readonly string[]) {
  return novaBody<Record<string, { type: string }>>({
    type: 'object',
    properties: {
      [key]: {
        type: 'object',
        properties: { type: { type: 'string', enum: types } },
        required: ['type'],
        additionalProperties: false,
      },
    },
    required: [key],
    additionalProperties: false,
  })
}

export const validateGetVncConsole = legacyConsole('os-getVNCConsole', ['novnc', 'xvpvnc'])
export const validateGetSpiceConsole = legacyConsole('os-getSPICEConsole', ['spice-html5'])
export const validateGetRdpConsole = legacyConsole('os-getRDPConsole', ['rdp-html5'])
export const validateGetSerialConsole = legacyConsole('os-getSerialConsole', ['serial'])

function remoteConsole(protocols: readonly string[], types: readonly string[]) {
  return novaBody<{ remote_console: { protocol: string; type: string } }>({
    type: 'object',
    properties: {
      remote_console: {
        type: 'object',
        properties: {
          protocol: { type: 'string', enum: protocols },
          type: { type: 'string', enum: types },
        },
        required: ['protocol', 'type'],
        additionalProperties: false,
      },
    },
    required: ['remote_console'],
    additionalProperties: false,
  })
}

/** `POST /servers/{id}/remote-consoles`: 2.6 and 2.7 without, 2.8 on with, WebMKS. */
export const validateCreateRemoteConsole = byMicroversion([
  [
    '2.6',
    remoteConsole(
      ['vnc', 'spice', 'rdp', 'serial'],
      ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial'],
    ),
  ],
  [
    '2.8',
    remoteConsole(
      ['vnc', 'spice', 'rdp', 'serial', 'mks'],
      ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks'],
    ),
  ],
])
