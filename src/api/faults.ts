/**
 * Nova's wire shape for every failure: `{"<faultName>": {"code": …, "message": …}}`, the
 * fault name by status (nova/api/openstack/wsgi.py `Fault._fault_names`). A 401 is
 * keystonemiddleware's, in Keystone's shape, with the `WWW-Authenticate` it sends.
 */
import type { Socket } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { clientErrorStatus, errorAnswer, writeRawError } from '../shared/error-answer.js'
import { Invalid, Unauthorized, UnsupportedMediaType } from '../shared/errors.js'

const FAULT_NAMES: Readonly<Record<number, string>> = {
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

const NOVA_WORDING = {
  internal:
    'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.',
  byStatus: {
    400: 'Malformed request body',
    404: 'The resource could not be found.',
    405: 'The method specified is not allowed for this resource.',
    413: 'Request is too large.',
    414: 'The request URI was too long for this server.',
    415: 'Unsupported Content-Type',
    431: 'The request header fields were too large.',
  },
} as const

export function renderNovaError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  wwwAuthenticateUri: string,
): FastifyReply {
  if (error instanceof Unauthorized) {
    return reply
      .code(401)
      .header('www-authenticate', `Keystone uri="${wwwAuthenticateUri}"`)
      .send({ error: { code: 401, title: 'Unauthorized', message: error.message } })
  }
  const answer = errorAnswer(error, NOVA_WORDING)
  if (answer.unexpected) request.log.error({ err: error, request_id: request.requestId }, 'request failed')
  else if (answer.status === 503)
    request.log.warn({ err: error, request_id: request.requestId }, 'unavailable')
  return reply.code(answer.status).send(faultBody(answer.status, answer.message))
}

/** Node's refusals before a request exists, still in Nova's shape. */
export function novaClientError(error: Error & { code?: string }, socket: Socket): void {
  const status = clientErrorStatus(error)
  const body = JSON.stringify(faultBody(status, NOVA_WORDING.byStatus[status as 400] ?? 'Bad request'))
  writeRawError(socket, status, 'application/json', body)
}

/** Media types Nova reads a body as (`_SUPPORTED_CONTENT_TYPES`; none or text/plain count as JSON). */
const JSON_TYPES = new Set(['', 'text/plain', 'application/json', 'application/vnd.openstack.compute+json'])

/**
 * Nova's body reading: a media type it does not know is a 415, anything else is parsed as JSON
 * (Fastify's parser refuses `__proto__` and `constructor.prototype` keys), a malformed one a 400.
 */
export function novaContentTypeParser(app: FastifyInstance) {
  const secureJson = app.getDefaultJsonParser('error', 'error')
  return (
    request: FastifyRequest,
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ): void => {
    const mediaType = String(request.headers['content-type'] ?? '')
      .split(';', 1)[0]!
      .trim()
      .toLowerCase()
    if (!JSON_TYPES.has(mediaType)) {
      done(new UnsupportedMediaType('Unsupported Content-Type'))
      return
    }
    if (String(body).trim() === '') {
      done(null, undefined)
      return
    }
    secureJson(request, String(body), (err, parsed) =>
      err ? done(new Invalid('Malformed request body')) : done(null, parsed),
    )
  }
}
