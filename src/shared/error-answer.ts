/**
 * What any failure answers, before an API puts it in its own shape: the HTTP status and the
 * message. Our errors carry both; an outage is a 503; Fastify's and Node's own refusals (body
 * too large, bad media type, malformed JSON, URL or headers too long) keep their status and
 * take the API's words for it; anything else is a 500 whose details stay in the log.
 */
import type { Socket } from 'node:net'
import { ApiError, ServiceUnavailable } from './errors.js'
import { isOutage, UNAVAILABLE_MESSAGE } from './outage.js'

/** HTTP reason phrases (Python's `http.client.responses`): Keystone's titles, Glance's headings. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
}

/** An API's own sentences for failures that arrive without one of ours. */
export interface ApiWording {
  /** The 500 body: never the exception's text. */
  readonly internal: string
  /** By status, for refusals raised by the framework (413, 415, malformed JSON, …). */
  readonly byStatus: Readonly<Record<number, string>>
}

export interface ErrorAnswer {
  readonly status: number
  readonly message: string
  /** A failure of ours (500): the caller logs it with its stack. */
  readonly unexpected: boolean
}

function frameworkStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}

export function errorAnswer(error: unknown, wording: ApiWording): ErrorAnswer {
  if (isOutage(error)) {
    const message = error instanceof ServiceUnavailable ? error.message : UNAVAILABLE_MESSAGE
    return { status: 503, message, unexpected: false }
  }
  if (error instanceof ApiError) {
    // 501 says the feature is missing, which callers act on; other 5xx are our failures.
    const status = error.code === 501 ? 501 : Math.min(error.code, 500)
    return { status, message: error.message, unexpected: status === 500 }
  }
  const status = frameworkStatus(error)
  if (status !== undefined) {
    const message = wording.byStatus[status] ?? (error as Error).message
    return { status, message, unexpected: false }
  }
  return { status: 500, message: wording.internal, unexpected: true }
}

/** Node's refusals before a request exists (headers too large, a malformed request line). */
export function clientErrorStatus(error: { code?: string }): number {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431
  if (error.code === 'HPE_URI_TOO_LONG') return 414
  return 400
}

/** Answer on the raw socket, as Fastify's `clientErrorHandler` must, and close it. */
export function writeRawError(socket: Socket, status: number, contentType: string, body: string): void {
  if (!socket.writable) return
  const reason = REASON_PHRASES[status] ?? 'Error'
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
