/**
 * Request bodies of the form `{"<resource>": {...}}` checked as Nova's jsonschema validation
 * checks them, with its messages: a property's failure names the property, a missing or
 * unexpected key names the enclosing object, and a bad `name` format is InvalidName's sentence.
 */
import { Invalid } from '../shared/errors.js'
import { pyRepr } from '../shared/python.js'

/** A property check: undefined if valid, else jsonschema's message, or a whole message of its own. */
export type FieldCheck = (value: unknown) => string | { readonly whole: string } | undefined

export interface FieldsSchema {
  readonly properties: Readonly<Record<string, FieldCheck>>
  readonly required?: readonly string[]
  readonly additionalProperties: boolean
}

/** Python's `%s` of a JSON value: strings bare, anything else as its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}

function fail(field: string, value: unknown, message: string): Invalid {
  return new Invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function additional(
  obj: Record<string, unknown>,
  allowed: Readonly<Record<string, unknown>>,
): string | undefined {
  const extra = Object.keys(obj).filter((k) => !Object.hasOwn(allowed, k))
  if (extra.length === 0) return undefined
  return `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`
}

/**
 * Check `{key: {...}}` (nothing else at the top) and answer the inner object. `extra` checks
 * run after the properties, as jsonschema's later keywords (anyOf, …) do.
 */
export function nestedBody(
  body: unknown,
  key: string,
  schema: FieldsSchema,
  extra?: (inner: Record<string, unknown>) => string | undefined,
): Record<string, unknown> {
  if (!isObject(body)) throw new Invalid(`${pyRepr(body ?? null)} is not of type 'object'`)
  if (Object.hasOwn(body, key)) {
    const inner = body[key]
    if (!isObject(inner)) throw fail(key, inner, `${pyRepr(inner)} is not of type 'object'`)
    for (const [name, check] of Object.entries(schema.properties)) {
      if (!Object.hasOwn(inner, name)) continue
      const r = check(inner[name])
      if (typeof r === 'string') throw fail(name, inner[name], r)
      if (r) throw new Invalid(r.whole)
    }
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(inner, name)) throw fail(key, inner, `'${name}' is a required property`)
    }
    if (!schema.additionalProperties) {
      const message = additional(inner, schema.properties)
      if (message) throw fail(key, inner, message)
    }
    const more = extra?.(inner)
    if (more) throw fail(key, inner, more)
  } else {
    throw new Invalid(`'${key}' is a required property`)
  }
  const message = additional(body, { [key]: true })
  if (message) throw new Invalid(message)
  return body[key] as Record<string, unknown>
}

// --- checks (Nova's parameter_types)

const NAME_REASON = 'printable characters. Can not start or end with whitespace.'

function lengthCheck(v: string, min: number, max: number): string | undefined {
  // jsonschema counts code points.
  const n = [...v].length
  if (n < min) return `${pyRepr(v)} is too short`
  if (n > max) return `${pyRepr(v)} is too long`
  return undefined
}

/** Printable: no control, format or unassigned characters; no whitespace at either end. */
function printable(v: string, except = ''): boolean {
  if (v === '') return true
  if (/^\s|\s$/u.test(v)) return false
  for (const ch of v) {
    if (except.includes(ch)) return false
    if (/\p{C}/u.test(ch) && !/\s/u.test(ch)) return false
  }
  return true
}

/** `parameter_types.name`. */
export const nameField: FieldCheck = (v) => {
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`
  if (!printable(v))
    return { whole: `An invalid 'name' value was provided. The name must be: ${NAME_REASON}` }
  return lengthCheck(v, 1, 255)
}

/** `parameter_types.az_name`, or null (aggregates' `availability_zone`). */
export const azNameOrNullField: FieldCheck = (v) => {
  if (v === null) return undefined
  if (typeof v !== 'string' || !printable(v, ':') || [...v].length < 1 || [...v].length > 255)
    return `${pyRepr(v)} is not valid under any of the given schemas`
  return undefined
}

/** `parameter_types.fqdn` (host names; underscores allowed). */
export const fqdnField: FieldCheck = (v) => {
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`
  if (!/^[a-zA-Z0-9-._]*$/.test(v)) return `${pyRepr(v)} does not match '^[a-zA-Z0-9-._]*$'`
  return lengthCheck(v, 1, 255)
}

export const enumField =
  (values: readonly string[]): FieldCheck =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${pyRepr(v)} is not one of ${pyRepr(values)}`

/** `parameter_types.positive_integer`: an integer, or a string of digits, at least 1. */
export const positiveIntegerField: FieldCheck = (v) => {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return `${pyRepr(v)} is not of type 'integer', 'string'`
    return v < 1 ? `${v} is less than the minimum of 1` : undefined
  }
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'integer', 'string'`
  if (!/^[0-9]*$/.test(v)) return `${pyRepr(v)} does not match '^[0-9]*$'`
  if (v.length < 1) return `${pyRepr(v)} is too short`
  if (Number(v) < 1) return `${pyRepr(v)} is less than the minimum of 1`
  return undefined
}

/** An object whose keys are checked by `keys` and values by `values` (patternProperties). */
export const objectField =
  (keys: FieldCheck, values: FieldCheck, properties?: Readonly<Record<string, FieldCheck>>): FieldCheck =>
  (v) => {
    if (!isObject(v)) return `${pyRepr(v)} is not of type 'object'`
    const unexpected: string[] = []
    for (const [k, val] of Object.entries(v)) {
      const known = properties?.[k]
      if (known) {
        const r = known(val)
        if (r) return r
        continue
      }
      if (properties || keys(k) !== undefined) {
        unexpected.push(k)
        continue
      }
      const r = values(val)
      if (r) return r
    }
    if (unexpected.length > 0)
      return `Additional properties are not allowed (${unexpected.map((k) => `'${k}'`).join(', ')} ${unexpected.length > 1 ? 'were' : 'was'} unexpected)`
    return undefined
  }

/** Nova's `metadata_with_null`: keys `^[a-zA-Z0-9-_:. ]{1,255}$`, values strings ≤ 255 or null. */
export const metadataWithNullField: FieldCheck = objectField(
  (k) => (typeof k === 'string' && /^[a-zA-Z0-9-_:. ]{1,255}$/.test(k) ? undefined : 'bad key'),
  (v) => {
    if (v === null) return undefined
    if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string', 'null'`
    return [...v].length > 255 ? `${pyRepr(v)} is too long` : undefined
  },
)
