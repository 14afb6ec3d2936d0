/**
 * jsonschema's wording (Draft 4, as Nova, Keystone and Glance run it) for Ajv's errors: one
 * sentence per failed keyword, the instance spelled as Python's repr.
 */
import type { ErrorObject } from 'ajv'
import { pyRepr } from '../shared/python.js'

/** The pattern as the Python service wrote it, when it differs from the one Ajv runs. */
export const PYTHON_PATTERN = 'x-python-pattern'

function quotedList(items: readonly unknown[]): string {
  return items.map(pyRepr).join(', ')
}

/** `Additional properties are not allowed (…)`, or the patternProperties variant. */
function additionalProperties(errors: readonly ErrorObject[]): string {
  const first = errors[0]!
  const extras = errors.map((e) => (e.params as { additionalProperty: string }).additionalProperty)
  const patterns = (first.parentSchema as { patternProperties?: Record<string, unknown> } | undefined)
    ?.patternProperties
  if (patterns) {
    const verb = extras.length === 1 ? 'does' : 'do'
    return `${quotedList([...extras].sort())} ${verb} not match any of the regexes: ${quotedList(Object.keys(patterns).sort())}`
  }
  return `Additional properties are not allowed (${quotedList(extras)} ${extras.length === 1 ? 'was' : 'were'} unexpected)`
}

/** jsonschema's message for one failed keyword (several Ajv errors when it names many properties). */
export function jsonschemaMessage(errors: readonly ErrorObject[]): string {
  const e = errors[0]!
  const data: unknown = e.data
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>
  switch (e.keyword) {
    case 'type': {
      const types = Array.isArray(parent.type) ? parent.type : [parent.type]
      return `${pyRepr(data)} is not of type ${quotedList(types)}`
    }
    case 'required':
      return `${pyRepr((e.params as { missingProperty: string }).missingProperty)} is a required property`
    case 'additionalProperties':
      return additionalProperties(errors)
    case 'enum':
      return `${pyRepr(data)} is not one of ${pyRepr(e.schema)}`
    case 'minLength':
    case 'minItems':
      return `${pyRepr(data)} is too short`
    case 'maxLength':
    case 'maxItems':
      return `${pyRepr(data)} is too long`
    case 'pattern':
      return `${pyRepr(data)} does not match ${pyRepr(parent[PYTHON_PATTERN] ?? e.schema)}`
    case 'format':
      return `${pyRepr(data)} is not a ${pyRepr(e.schema)}`
    case 'uniqueItems':
      return `${pyRepr(data)} has non-unique elements`
    case 'minProperties':
      return `${pyRepr(data)} does not have enough properties`
    case 'maxProperties':
      return `${pyRepr(data)} has too many properties`
    case 'anyOf':
    case 'oneOf':
      return `${pyRepr(data)} is not valid under any of the given schemas`
    case 'additionalItems': {
      const tuple = Array.isArray(parent.items) ? parent.items.length : 0
      const extras = Array.isArray(data) ? data.slice(tuple) : []
      return `Additional items are not allowed (${quotedList(extras)} ${extras.length === 1 ? 'was' : 'were'} unexpected)`
    }
    default:
      // Custom keywords (minimum, maximum) carry jsonschema's sentence themselves.
      return e.message ?? `${pyRepr(data)} is not valid`
  }
}
