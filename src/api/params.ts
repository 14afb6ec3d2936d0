/** Small readers of request values (ids in paths, booleans, repeated query parameters). */
import { isUuidLike } from '../validation/formats.js'

export { isUuidLike }

export type Query = Record<string, string | string[] | undefined>

/** The last value of a repeated query parameter, as webob's `req.GET[name]` gives it. */
export function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v
}

/** oslo's `bool_from_string` (strict inputs only reach it: the schema has checked them). */
export function boolFromString(v: unknown): boolean {
  if (typeof v === 'boolean') return v
  return /^(1|t|true|on|y|yes)$/i.test(String(v).trim())
}

/** Canonical form of a uuid-like string, as stored (lowercase, hyphenated). */
export function canonicalUuid(v: string): string {
  const hex = v.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/[{}-]/g, '').toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Nova's `utils.validate_integer` on a path id. */
export function integerId(v: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : undefined
}
