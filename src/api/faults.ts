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
