/**
 * One validator for every API: JSON Schemas compiled once by Ajv, failures reported as Python's
 * jsonschema reports them. Ajv collects every error; jsonschema raises the first one its walk
 * meets (keywords in the schema's own order, depth first), or for Glance the "best match", so
 * the choice among Ajv's errors is made here (see `order.ts`).
 */
import {
  Ajv,
  type AnySchemaObject,
  type ErrorObject,
  type FuncKeywordDefinition,
  type SchemaValidateFunction,
  type ValidateFunction,
} from 'ajv'
import { pyRepr } from '../shared/python.js'
import { FORMATS } from './formats.js'
import { jsonschemaMessage } from './messages.js'
import { compareKeys, orderKey } from './order.js'

export type JsonSchema = Readonly<Record<string, unknown>>

/** One schema violation, as jsonschema's ValidationError describes it. */
export interface Violation {
  /** The failed keyword (`type`, `maxLength`, `format`, …). */
  readonly keyword: string
  /** Where in the instance: property names and array indices from the validated root. */
  readonly path: readonly (string | number)[]
  /** The value that failed (the object itself for `required` and `additionalProperties`). */
  readonly instance: unknown
  /** jsonschema's message (`'x' is too long`). */
  readonly message: string
  /** For `format` failures, the format's name. */
  readonly format?: string
}

/**
 * `first`: the first error of jsonschema's walk (`Validator.validate`, as Nova and Keystone run
 * it). `best-match`: `jsonschema.validate`'s `best_match`, the shallowest error (Glance).
 */
export type Selection = 'first' | 'best-match'

export interface CompiledSchema {
  /** The violation jsonschema would raise, or undefined when the instance is valid. */
  check(instance: unknown): Violation | undefined
}

/**
 * `minimum` / `maximum` as jsonschema's Draft 4 words them, with its boolean
 * `exclusiveMinimum` / `exclusiveMaximum`. Nova's validator also compares strings by the
 * number they spell (`_number_from_str`), and reports that number.
 */
function boundKeyword(keyword: 'minimum' | 'maximum', numbersFromStrings: boolean): FuncKeywordDefinition {
  const exclusiveKey = keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'
  const validate: SchemaValidateFunction = function checkBound(
    bound: number,
    data: unknown,
    parent?: AnySchemaObject,
  ): boolean {
    validate.errors = []
    let n: number | undefined
    if (typeof data === 'number') n = data
    else if (numbersFromStrings && typeof data === 'string') n = pythonNumber(data)
    if (n === undefined) return true
    const exclusive = parent?.[exclusiveKey] === true
    const below = exclusive ? n <= bound : n < bound
    const above = exclusive ? n >= bound : n > bound
    if (keyword === 'minimum' ? !below : !above) return true
    const relation = keyword === 'minimum' ? 'less than' : 'greater than'
    const message = `${pyRepr(n)} is ${relation}${exclusive ? ' or equal to' : ''} the ${keyword} of ${pyRepr(bound)}`
    validate.errors = [{ keyword, message, params: { limit: bound } }]
    return false
  }
  return { keyword, schemaType: 'number', errors: true, validate }
}

/** Python's `int(s)`, else `float(s)`, else nothing (Nova's `_number_from_str`). */
function pythonNumber(text: string): number | undefined {
  const t = text.trim()
  if (/^[+-]?\d+$/.test(t)) return Number(t)
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t)
  if (/^[+-]?(inf|infinity|nan)$/i.test(t)) return Number(t.replace(/inf(inity)?/i, 'Infinity'))
  return undefined
}

function buildAjv(numbersFromStrings: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, validateSchema: false })
  for (const keyword of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
    ajv.removeKeyword(keyword)
  }
  ajv.addKeyword(boundKeyword('minimum', numbersFromStrings))
  ajv.addKeyword(boundKeyword('maximum', numbersFromStrings))
  ajv.addKeyword({ keyword: 'exclusiveMinimum', schemaType: 'boolean' })
  ajv.addKeyword({ keyword: 'exclusiveMaximum', schemaType: 'boolean' })
  for (const [name, test] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: test })
  return ajv
}

/** `nova`: Nova's validator (numbers in strings meet minimum/maximum); `draft4`: plain jsonschema. */
export type Dialect = 'nova' | 'draft4'

const engines: Record<Dialect, Ajv> = { nova: buildAjv(true), draft4: buildAjv(false) }

/** Ajv's instance path (`/a/0/b`) as jsonschema's deque of keys and indices. */
function instancePath(root: unknown, pointer: string): (string | number)[] {
  const path: (string | number)[] = []
  let node = root
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const step = Array.isArray(node) ? Number(key) : key
    path.push(step)
    node = (node as Record<string | number, unknown> | undefined)?.[step]
  }
  return path
}

/** Errors inside an anyOf / oneOf / not branch are its context, not failures of their own. */
function isBranchError(e: ErrorObject): boolean {
  return /\/(anyOf|oneOf)\/\d+\/|\/not\//.test(e.schemaPath)
}

/** Ajv's errors grouped per failed keyword (one jsonschema error each), in Ajv's order. */
function groupErrors(errors: readonly ErrorObject[]): ErrorObject[][] {
  const groups = new Map<string, ErrorObject[]>()
  for (const e of errors) {
    if (isBranchError(e)) continue
    // jsonschema raises one error per missing property, but one for all unexpected ones.
    const id =
      e.keyword === 'required'
        ? `${e.schemaPath}|${e.instancePath}|${(e.params as { missingProperty: string }).missingProperty}`
        : `${e.schemaPath}|${e.instancePath}`
    const group = groups.get(id)
    if (group) group.push(e)
    else groups.set(id, [e])
  }
  return [...groups.values()]
}

function violationOf(group: readonly ErrorObject[], root: unknown): Violation {
  const e = group[0]!
  return {
    keyword: e.keyword,
    path: instancePath(root, e.instancePath),
    instance: e.data,
    message: jsonschemaMessage(group),
    ...(e.keyword === 'format' ? { format: String(e.schema) } : {}),
  }
}

const WEAK = new Set(['anyOf', 'oneOf'])

/**
 * Compile a schema once, when it is first used: the APIs declare a few hundred (one per
 * microversion range), and compiling them all at start-up cost a second and tens of MB for
 * schemas most processes never meet. `check` answers the violation the Python service would report.
 */
export function compileSchema(
  schema: JsonSchema,
  options: { readonly dialect?: Dialect; readonly selection?: Selection } = {},
): CompiledSchema {
  let compiled: ValidateFunction | undefined
  const selection = options.selection ?? 'first'
  return {
    check(instance) {
      compiled ??= engines[options.dialect ?? 'draft4'].compile(schema)
      const validate = compiled
      if (validate(instance)) return undefined
      const groups = groupErrors(validate.errors ?? [])
      const ranked = groups.map((group, i) => ({ group, i, key: orderKey(schema, instance, group[0]!) }))
      ranked.sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i)
      if (ranked.length === 0) return { keyword: 'unknown', path: [], instance, message: 'is not valid' }
      if (selection === 'first') return violationOf(ranked[0]!.group, instance)
      // best_match: the shortest path, then not anyOf / oneOf; the first of equals wins.
      const depth = (g: readonly ErrorObject[]) => instancePath(instance, g[0]!.instancePath).length
      let best = ranked[0]!.group
      for (const { group } of ranked) {
        const better =
          depth(group) < depth(best) ||
          (depth(group) === depth(best) && WEAK.has(best[0]!.keyword) && !WEAK.has(group[0]!.keyword))
        if (better) best = group
      }
      return violationOf(best, instance)
    },
  }
}
