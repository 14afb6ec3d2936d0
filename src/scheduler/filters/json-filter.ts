import { type HostState, hostAttribute } from '../host-state.js'
import type { HostFilter } from './filter.js'
import { brief, hintValue } from './filter.js'

const OPERATORS = ['=', '<', '>', 'in', '<=', '>=', 'not', 'or', 'and'] as const

/**
 * Hint `query`: Nova's JSON query language over HostState attributes, e.g.
 * `["and", [">=", "$free_ram_mb", 1024], [">=", "$free_disk_mb", 204800]]`. Operators
 * `=`, `<`, `>`, `in`, `<=`, `>=` compare the first argument with all the others; `not`, `or`,
 * `and` combine; `$name` (or `$name.key` into a dict) reads a host attribute. Evaluated with
 * Python's rules, as Nova does (a comparison Python would refuse fails the host).
 */
export const JsonFilter: HostFilter = {
  name: 'JsonFilter',
  check: ({ spec }) => {
    const raw = hintValue(spec, 'query')
    if (raw === undefined || raw === null || raw === '') return undefined
    let query: unknown
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw)
    try {
      query = typeof raw === 'string' ? JSON.parse(raw) : raw
    } catch {
      return { passes: () => false, why: () => `the query hint is not JSON: ${brief(text)}` }
    }
    const bad = unknownOperator(query)
    if (bad !== undefined) {
      return {
        passes: () => false,
        why: () => `the query hint uses operator ${JSON.stringify(bad)} (known: ${OPERATORS.join(' ')})`,
      }
    }
    if (!truthy(query)) return undefined
    return {
      passes: (h) => {
        try {
          const result = evaluate(query as unknown[], h)
          return Array.isArray(result) ? result.some(truthy) : truthy(result)
        } catch {
          return false
        }
      },
      why: () => `they do not match the query ${brief(text)}`,
    }
  },
}

function unknownOperator(q: unknown): unknown {
  if (!Array.isArray(q) || q.length === 0) return undefined
  if (!(OPERATORS as readonly unknown[]).includes(q[0])) return q[0]
  for (const arg of q.slice(1)) {
    const bad = unknownOperator(arg)
    if (bad !== undefined) return bad
  }
  return undefined
}

class PyTypeError extends Error {}

/** `_process_filter`: evaluate the arguments (nested queries, `$variables`), then the operator. */
function evaluate(query: unknown[], host: HostState): unknown {
  if (query.length === 0) return true
  const op = query[0] as (typeof OPERATORS)[number]
  const args: unknown[] = []
  for (let arg of query.slice(1)) {
    if (Array.isArray(arg)) arg = evaluate(arg, host)
    else if (typeof arg === 'string') arg = variable(arg, host)
    if (arg !== null && arg !== undefined) args.push(arg)
  }
  switch (op) {
    case '=':
      return compareAll(args, pyEq)
    case '<':
      return compareAll(args, (a, b) => pyCmp(a, b) < 0)
    case '>':
      return compareAll(args, (a, b) => pyCmp(a, b) > 0)
    case '<=':
      return compareAll(args, (a, b) => pyCmp(a, b) <= 0)
    case '>=':
      return compareAll(args, (a, b) => pyCmp(a, b) >= 0)
    case 'in':
      return args.length >= 2 && args.slice(1).some((a) => pyEq(args[0], a))
    case 'not':
      return args.map((a) => !truthy(a))
    case 'or':
      return args.some(truthy)
    case 'and':
      return args.every(truthy)
  }
}

function compareAll(args: unknown[], op: (a: unknown, b: unknown) => boolean): boolean {
  if (args.length < 2) return false
  return args.slice(1).every((b) => op(args[0], b))
}

/** `_parse_string`: `$name.key…` reads the host; other strings are themselves; "" is nothing. */
function variable(s: string, host: HostState): unknown {
  if (!s) return null
  if (!s.startsWith('$')) return s
  const [name, ...path] = s.slice(1).split('.')
  let obj: unknown = hostAttribute(host, name!)
  if (obj === undefined || obj === null) return null
  for (const key of path) {
    if (typeof obj === 'string') {
      try {
        obj = JSON.parse(obj)
      } catch {
        return null
      }
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return null
    const o = obj as Record<string, unknown>
    obj = Object.hasOwn(o, key) ? o[key] : null
    if (obj === undefined || obj === null) return null
  }
  return obj
}

/** Python truthiness. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  if (v && typeof v === 'object') return Object.keys(v).length > 0
  return Boolean(v)
}

const isNum = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean'

function pyEq(a: unknown, b: unknown): boolean {
  if (isNum(a) && isNum(b)) return Number(a) === Number(b)
  if (typeof a === 'string' && typeof b === 'string') return a === b
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]))
  return false
}

/** Python's ordering of two values; raises where Python raises TypeError (e.g. str < int). */
function pyCmp(a: unknown, b: unknown): number {
  if (isNum(a) && isNum(b)) return Number(a) - Number(b)
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return pyCmp(a[i], b[i])
    }
    return a.length - b.length
  }
  throw new PyTypeError(`'<' not supported between ${typeof a} and ${typeof b}`)
}
