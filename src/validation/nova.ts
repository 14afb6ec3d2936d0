/**
 * Nova's side of the validator: request bodies and query strings checked against Nova's
 * schemas (`nova/api/openstack/compute/schemas/`), failures worded as Nova's `_SchemaValidator`
 * words them, schemas chosen by microversion as `@validation.schema(…, min, max)` chooses them.
 */
import { Invalid } from '../shared/errors.js'
import { pyStr } from '../shared/python.js'
import { compileSchema, type JsonSchema, type Violation } from './engine.js'
import { NAME_FORMAT_REASONS } from './formats.js'

/** Nova's `exception.ValidationError`: a 400 whose message is the detail. */
export class ValidationError extends Invalid {}

function novaDetail(v: Violation, where: 'body' | 'query'): string {
  const reason = v.format === undefined ? undefined : NAME_FORMAT_REASONS[v.format]
  if (reason !== undefined) return `An invalid 'name' value was provided. The name must be: ${reason}`
  if (v.path.length === 0) return v.message
  // A body names the innermost key (`ex.path.pop()`), a query string its parameter (`popleft`).
  const field = where === 'body' ? v.path.at(-1) : v.path[0]
  const lead = where === 'body' ? 'Invalid input for field/attribute' : 'Invalid input for query parameters'
  return `${lead} ${String(field)}. Value: ${pyStr(v.instance)}. ${v.message}`
}

/** A request body schema, compiled once: the check answers the body, typed, or throws a 400. */
export function novaBody<T = Record<string, unknown>>(schema: JsonSchema): (body: unknown) => T {
  const compiled = compileSchema(schema, { dialect: 'nova' })
  return (body) => {
    // An empty body reaches the schema as None, as in Nova.
    const violation = compiled.check(body ?? null)
    if (violation) throw new ValidationError(novaDetail(violation, 'body'))
    return body as T
  }
}

export type QueryString = Readonly<Record<string, string | string[] | undefined>>

/** webob's `GET.dict_of_lists()`: every parameter with all its values. */
export function queryLists(query: QueryString): Record<string, string[]> {
  const lists: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) lists[name] = Array.isArray(value) ? value : [value]
  }
  return lists
}

/** A query-string schema (parameters as lists, Nova's `multi_params`), compiled once. */
export function novaQuery(schema: JsonSchema): (query: QueryString) => void {
  const compiled = compileSchema(schema, { dialect: 'nova' })
  return (query) => {
    const violation = compiled.check(queryLists(query))
    if (violation) throw new ValidationError(novaDetail(violation, 'query'))
  }
}

/** What a microversion is asked about: `ApiVersion` satisfies it. */
export interface Microversion {
  atLeast(version: string): boolean
}

/**
 * Schemas by microversion: each entry holds from its version up to the next entry's, as Nova's
 * stacked `@validation.schema(schema, min_version, max_version)` decorators do.
 */
export function byMicroversion<T>(entries: readonly (readonly [string, T])[]): (v: Microversion) => T {
  const newestFirst = [...entries].reverse()
  return (v) => {
    const match = newestFirst.find(([min]) => v.atLeast(min))
    if (!match) throw new Error(`no schema for this microversion (first is ${entries[0]?.[0]})`)
    return match[1]
  }
}
