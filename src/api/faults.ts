/** Nova's fault body names, by HTTP status. */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
}

/** `{"<faultName>": {"code": …, "message": …}}`, as every Nova error response looks. */
export function faultBody(code: number, message: string): Record<string, { code: number; message: string }> {
  return { [FAULT_NAMES[code] ?? 'computeFault']: { code, message } }
}

/** Python's repr of a JSON value, for "Invalid input … Value: …" messages in Nova's words. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'string') return `'${value}'`
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `'${k}': ${pyRepr(v)}`)
      .join(', ')}}`
  }
  return String(value)
}
