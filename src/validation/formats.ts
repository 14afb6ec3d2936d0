/**
 * The string formats the Python services' schemas name, checked as their format checkers do
 * (jsonschema's built-ins, and Nova's own in `nova/api/validation/validators.py`).
 */
import { isIPv4, isIPv6 } from 'node:net'

/** Python's `str.isprintable` as Nova's `_is_printable` sees it: no C*, no Z* but Zs. */
function printable(ch: string): boolean {
  // Nova builds its ranges over U+0000–U+FFFE only: astral characters are never printable.
  if (ch.codePointAt(0)! > 0xfffe) return false
  return !/\p{C}/u.test(ch) && !/[\p{Zl}\p{Zp}]/u.test(ch)
}

const isSpace = (ch: string) => /\p{Zs}/u.test(ch)

/** `valid_name_regex` (and, without `:`, `valid_az_name_regex`): no whitespace at either end. */
function strictName(value: string, forbidden = ''): boolean {
  const chars = [...value]
  if (chars.some((ch) => !printable(ch) || forbidden.includes(ch))) return false
  if (chars.length === 0) return true
  return !isSpace(chars[0]!) && !isSpace(chars.at(-1)!)
}

/** `valid_name_leading_trailing_spaces_regex`: printable, and one character at least not a space. */
function spacedName(value: string, forbidden = ''): boolean {
  const chars = [...value]
  if (chars.some((ch) => !printable(ch) || forbidden.includes(ch))) return false
  return chars.some((ch) => !isSpace(ch))
}

/** oslo's `uuidutils.is_uuid_like`: 32 hex digits once `urn:`, `uuid:`, braces and hyphens go. */
export function isUuidLike(value: string): boolean {
  const hex = value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '')
  return /^[0-9a-fA-F]{32}$/.test(hex)
}

/** oslo's `parse_isotime` (iso8601): a date, a time, an optional fraction and zone. */
export function isIsoTime(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/.test(value)) {
    return false
  }
  return !Number.isNaN(parseIsoTime(value).getTime())
}

/** A time as oslo reads it: without a zone it is UTC. */
export function parseIsoTime(value: string): Date {
  const text = value.replace(' ', 'T')
  const zoned = /([Zz]|[+-]\d{2}(:?\d{2})?)$/.test(text)
  return new Date(zoned ? text : `${text}Z`)
}

/** Python's `base64.b64decode` (not strict): other characters dropped, padding must be right. */
function isBase64(value: string): boolean {
  const data = value.replace(/[^A-Za-z0-9+/=]/g, '')
  return /^[A-Za-z0-9+/]*={0,2}$/.test(data) && data.length % 4 === 0
}

/**
 * `ipv6` as Python's `ipaddress` reads it, less a zone index: Nova stores access addresses in a
 * 39-character column through netaddr, which refuses zones.
 */
function isIpv6(value: string): boolean {
  return !value.includes('%') && isIPv6(value)
}

export const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  uuid: isUuidLike,
  ipv4: isIPv4,
  ipv6: isIpv6,
  'date-time': isIsoTime,
  base64: isBase64,
  email: (value) => value.includes('@'),
  name: (value) => strictName(value),
  az_name: (value) => strictName(value, ':'),
  name_with_leading_trailing_spaces: (value) => spacedName(value),
  az_name_with_leading_trailing_spaces: (value) => spacedName(value, ':'),
}

/**
 * Nova's formats whose failure is an InvalidName: the whole 400 is this sentence, whatever the
 * field (`exception.InvalidName`, reasons from `parameter_types`).
 */
export const NAME_FORMAT_REASONS: Readonly<Record<string, string>> = {
  name: 'printable characters. Can not start or end with whitespace.',
  az_name: 'printable characters except :.Can not start or end with whitespace.',
  name_with_leading_trailing_spaces: 'printable characters with at least one non space character',
  az_name_with_leading_trailing_spaces:
    'printable characters except :, with at least one non space character',
}

/** The canonical (compressed, lower-case) text of an IPv6 address, as netaddr stores it. */
export function canonicalIpv6(value: string): string {
  return new URL(`http://[${value}]/`).hostname.slice(1, -1)
}
