/** `os-getConsoleOutput` (nova/api/openstack/compute/schemas/console_output.py). */
import { novaBody } from '../../validation/nova.js'

export const validateGetConsoleOutput = novaBody<{
  'os-getConsoleOutput': { length?: number | string | null }
}>({
  type: 'object',
  properties: {
    'os-getConsoleOutput': {
      type: 'object',
      properties: {
        length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 },
      },
      additionalProperties: false,
    },
  },
  required: ['os-getConsoleOutput'],
  additionalProperties: false,
})
