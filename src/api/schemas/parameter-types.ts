/**
 * Nova's `parameter_types` (nova/api/validation/parameter_types.py) as JSON Schema. Keyword
 * order matters: jsonschema reports the first failing keyword in the order a schema lists them,
 * so each type lists its keywords as Nova does.
 */
import type { JsonSchema } from '../../validation/engine.js'
import { PYTHON_PATTERN } from '../../validation/messages.js'

export const BOOLEAN_VALUES = [
  true,
  'True',
  'TRUE',
  'true',
  '1',
  'ON',
  'On',
  'on',
  'YES',
  'Yes',
  'yes',
  false,
  'False',
  'FALSE',
  'false',
  '0',
  'OFF',
  'Off',
  'off',
  'NO',
  'No',
  'no',
] as const

export const boolean = { type: ['boolean', 'string'], enum: BOOLEAN_VALUES } as const

export const positiveInteger = { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 }
export const nonNegativeInteger = {
  type: ['integer', 'string'],
  pattern: '^[0-9]*$',
  minimum: 0,
  minLength: 1,
}

export const fqdn = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' }
export const name = { type: 'string', minLength: 1, maxLength: 255, format: 'name' }
export const nameWithLeadingTrailingSpaces = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  format: 'name_with_leading_trailing_spaces',
}
export const azName = { type: 'string', minLength: 1, maxLength: 255, format: 'az_name' }

/**
 * Nova's `_build_regex_range()`: every printable character of U+0000–U+FFFE as ranges, spelled
 * with Python's `re.escape`, so a failed description reads as Nova's does.
 */
function printableRanges(): string {
  const special = new Set('()[]{}?*+-|^$\\.&~# \t\n\r\v\f')
  const printable = (c: number) => {
    const ch = String.fromCharCode(c)
    return !/\p{C}/u.test(ch) && !/[\p{Zl}\p{Zp}]/u.test(ch) && !(c >= 0xd800 && c <= 0xdfff)
  }
  const esc = (c: number) => {
    const ch = String.fromCharCode(c)
    return special.has(ch) ? `\\${ch}` : ch
  }
  let out = ''
  let start = -1
  for (let c = 0; c <= 0xffff; c++) {
    const ok = c < 0xffff && printable(c)
    if (ok && start < 0) start = c
    if (!ok && start >= 0) {
      out += esc(start) + (c - 1 > start ? `-${esc(c - 1)}` : '')
      start = -1
    }
  }
  return out
}

/** Printable characters only: what the pattern allows, in a regex JavaScript can run. */
const PRINTABLE_ONLY = '^[^\\p{C}\\p{Zl}\\p{Zp}\\u{10000}-\\u{10FFFF}\\uFFFF]*$'
export const PYTHON_DESCRIPTION_PATTERN = `^[${printableRanges()}]*$`

export const description = {
  type: ['string', 'null'],
  minLength: 0,
  maxLength: 255,
  pattern: PRINTABLE_ONLY,
  [PYTHON_PATTERN]: PYTHON_DESCRIPTION_PATTERN,
}

export const imageIdOrEmptyString = {
  oneOf: [
    { type: 'string', format: 'uuid' },
    { type: 'string', maxLength: 0 },
  ],
}
export const flavorRef = { type: ['string', 'integer'], minLength: 1 }
export const adminPassword = { type: 'string' }

export const metadata = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
}
export const metadataWithNull = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'null'], maxLength: 255 } },
  additionalProperties: false,
}

export const ipAddress = { type: 'string', oneOf: [{ format: 'ipv4' }, { format: 'ipv6' }] }
export const accessIPv4 = { type: 'string', format: 'ipv4' }
export const accessIPv6 = { type: 'string', format: 'ipv6' }
export const diskConfig = { type: 'string', enum: ['AUTO', 'MANUAL'] }

export const volumeSize = {
  type: ['integer', 'string'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: 0x7fffffff,
}
export const flavorParamPositive = volumeSize
export const flavorParamNonNegative = { ...volumeSize, minimum: 0 }

export const tag = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }

/** `multi_params`: a query parameter is the list of its values. */
export const multiParams = (schema: JsonSchema) => ({ type: 'array', items: schema })
/** `single_param`: … and only one of them. */
export const singleParam = (schema: JsonSchema) => ({ type: 'array', items: schema, maxItems: 1 })
export const commonQueryParam = multiParams({ type: 'string' })
