import { Invalid } from '../shared/errors.js'
import { pyRepr } from '../shared/python.js'

/** Python's `%s` of a JSON value: strings bare, everything else as repr. */
function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}

/** One property's check: undefined when the value is valid, else jsonschema's message. */
export type Check = (value: unknown) => string | undefined

export const stringCheck =
  (minLength: number, maxLength: number, pattern?: string): Check =>
  (v) => {
    if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`
    if (v.length < minLength) return `${pyRepr(v)} is too short`
    if (v.length > maxLength) return `${pyRepr(v)} is too long`
    if (pattern && !new RegExp(pattern).test(v)) return `${pyRepr(v)} does not match '${pattern}'`
    return undefined
  }

export const enumCheck =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${pyRepr(v)} is not one of ${pyRepr(values)}`

/** Nova's `parameter_types.boolean`: a JSON boolean or one of oslo's boolean strings. */
const BOOLEAN_ENUM: readonly (boolean | string)[] = [
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
]
export const booleanCheck: Check = (v) => {
  if (typeof v !== 'boolean' && typeof v !== 'string')
    return `${pyRepr(v)} is not of type 'boolean', 'string'`
  return BOOLEAN_ENUM.includes(v) ? undefined : `${pyRepr(v)} is not one of ${pyRepr(BOOLEAN_ENUM)}`
}

/** oslo's `bool_from_string` (strict inputs only reach it: the schema has checked them). */
export function boolFromString(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  return /^(1|t|true|on|y|yes)$/i.test(String(v).trim())
}

/** Nova's `fqdn` parameter type (host names; underscores allowed). */
export const fqdnCheck = stringCheck(1, 255, '^[a-zA-Z0-9-._]*$')
/** Nova's `non_negative_integer` as a query parameter (always a string there). */
export const nonNegativeIntegerCheck: Check = (v) => {
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'integer', 'string'`
  if (!/^[0-9]*$/.test(v)) return `${pyRepr(v)} does not match '^[0-9]*$'`
  if (v.length < 1) return `${pyRepr(v)} is too short`
  return undefined
}

export interface ObjectSchema {
  readonly properties: Readonly<Record<string, Check>>
  readonly required?: readonly string[]
  readonly additionalProperties: boolean
}

/** Validate a request body against an object schema, in jsonschema's order of keywords. */
export function validateBody(body: unknown, schema: ObjectSchema): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Invalid(`${pyRepr(body ?? null)} is not of type 'object'`)
  }
  const obj = body as Record<string, unknown>
  for (const [name, check] of Object.entries(schema.properties)) {
    if (!(name in obj)) continue
    const message = check(obj[name])
    if (message) {
      throw new Invalid(`Invalid input for field/attribute ${name}. Value: ${pyStr(obj[name])}. ${message}`)
    }
  }
  for (const name of schema.required ?? []) {
    if (!(name in obj)) throw new Invalid(`'${name}' is a required property`)
  }
  if (!schema.additionalProperties) {
    const extra = Object.keys(obj).filter((k) => !(k in schema.properties))
    if (extra.length > 0) {
      throw new Invalid(
        `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
      )
    }
  }
  return obj
}

export type Query = Record<string, string | string[] | undefined>

/** The last value of a repeated query parameter, as webob's `req.GET[name]` gives it. */
export function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v
}

/** Validate query parameters (each checked on its last value) as Nova's query schemas do. */
export function validateQuery(query: Query, schema: ObjectSchema): void {
  for (const [name, check] of Object.entries(schema.properties)) {
    const value = one(query[name])
    if (value === undefined) continue
    const message = check(value)
    if (message) throw new Invalid(`Invalid input for query parameters ${name}. Value: ${value}. ${message}`)
  }
  if (!schema.additionalProperties) {
    const extra = Object.keys(query).filter((k) => !(k in schema.properties))
    if (extra.length > 0) {
      throw new Invalid(
        `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`,
      )
    }
  }
}

/** oslo's `uuidutils.is_uuid_like`: 32 hex digits, hyphens optional. */
export function isUuidLike(v: string): boolean {
  return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v)
}

/** Canonical form of a uuid-like string, as stored (lowercase, hyphenated). */
export function canonicalUuid(v: string): string {
  const hex = v.replace(/[{}-]/g, '').toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Nova's `utils.validate_integer` on a path id. */
export function integerId(v: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : undefined
}
