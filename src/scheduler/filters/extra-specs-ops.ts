/**
 * Nova's `extra_specs_ops.match`: a flavor extra spec's requirement (`"<op> value"`) against a
 * host's (or aggregate's) value. Operators: `=` (numeric >=), `==`, `!=`, `>=`, `<=` (numeric),
 * `s==`, `s!=`, `s<`, `s<=`, `s>`, `s>=` (string), `<in>` (substring), `<all-in>` (every word),
 * `<or>` (any of). Without an operator the requirement must equal the value.
 */
const numeric = (f: (x: number, y: number) => boolean) => (x: string, y: string) => {
  const a = pyFloat(x)
  const b = pyFloat(y)
  return a !== undefined && b !== undefined && f(a, b)
}

const OPS: Readonly<Record<string, (x: string, y: string) => boolean>> = {
  '=': numeric((x, y) => x >= y),
  '<in>': (x, y) => x.includes(y),
  '==': numeric((x, y) => x === y),
  '!=': numeric((x, y) => x !== y),
  '>=': numeric((x, y) => x >= y),
  '<=': numeric((x, y) => x <= y),
  's==': (x, y) => x === y,
  's!=': (x, y) => x !== y,
  's<': (x, y) => x < y,
  's<=': (x, y) => x <= y,
  's>': (x, y) => x > y,
  's>=': (x, y) => x >= y,
}

export function matchExtraSpec(value: string | null | undefined, req: string): boolean {
  const words = req.split(/\s+/).filter(Boolean)
  const op = words.shift()
  const method = op === undefined ? undefined : Object.hasOwn(OPS, op) ? OPS[op] : undefined
  if (op !== '<or>' && op !== '<all-in>' && !method) return value === req
  if (value == null) return false
  if (op === '<or>') {
    // `<or> v1 <or> v2 <or> v3`: the words at even positions are the choices.
    for (let i = 0; i < words.length; i += 2) if (words[i] === value) return true
    return false
  }
  if (words.length === 0) return false
  if (op === '<all-in>') return words.every((w) => value.includes(w))
  return method!(value, words[0]!)
}

/** Python's float(): a number, or undefined where Python raises ValueError. */
function pyFloat(s: string): number | undefined {
  const t = s.trim()
  if (t === '') return undefined
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity
  if (/^[+-]?nan$/i.test(t)) return Number.NaN
  if (!/^[+-]?(\d[\d_]*\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined
  return Number(t.replaceAll('_', ''))
}

/** Python's str() of a value, as Nova compares `str(capability)` with the requirement. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`
  }
  return String(v)
}

function pyRepr(v: unknown): string {
  return typeof v === 'string' ? `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : pyStr(v)
}
