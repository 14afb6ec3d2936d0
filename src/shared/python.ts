/** Python's spelling of values, for messages that must read as the Python services' do. */

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** Python's `str.__repr__`: single quotes unless only double quotes avoid escaping. */
function pyStringRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of value) {
    const escaped = ESCAPES[ch]
    if (escaped) out += escaped
    else if (ch === quote) out += `\\${ch}`
    else if (!isPrintable(ch)) out += hexEscape(ch.codePointAt(0)!)
    else out += ch
  }
  return out + quote
}

/** Python's `str.isprintable` for one character: no control, format, separator but space. */
function isPrintable(ch: string): boolean {
  if (ch === ' ') return true
  return !/[\p{C}\p{Z}]/u.test(ch)
}

function hexEscape(code: number): string {
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`
  return `\\U${code.toString(16).padStart(8, '0')}`
}

/** Python's repr of a JSON value, for "Invalid input … Value: …" messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return pyStringRepr(value)
  if (typeof value === 'number') return pyNumber(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`
  }
  return String(value)
}

/** Python's repr of a number: JavaScript's, but for exponents (`1e+21`) and non-finite values. */
function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
  return String(value)
}

/** Python's `%s` of a JSON value: strings bare, everything else as repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}
