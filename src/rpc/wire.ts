import { randomUUID } from 'node:crypto'
import { contextFromWire, contextToWire, type RequestContext } from '../shared/context.js'
import { ApiError, errorFromRemote } from '../shared/errors.js'
import type { Message } from './transport.js'

/** oslo.messaging's envelope version: the inner message travels as a JSON string under `oslo.message`. */
export const ENVELOPE_VERSION = '2.0'

export function wrapEnvelope(message: Message): string {
  return JSON.stringify({ 'oslo.version': ENVELOPE_VERSION, 'oslo.message': JSON.stringify(message) })
}

export function unwrapEnvelope(body: string): Message {
  const outer = JSON.parse(body) as Record<string, unknown>
  if (typeof outer['oslo.message'] === 'string') return JSON.parse(outer['oslo.message']) as Message
  // An un-enveloped message (oslo's v1 format) is the dict itself.
  return outer
}

export function newId(): string {
  return randomUUID().replaceAll('-', '')
}

/** Flatten the context into `_context_<key>` entries of the message, as oslo's serializer does. */
export function packContext(message: Message, ctx: RequestContext): Message {
  for (const [key, value] of Object.entries(contextToWire(ctx))) message[`_context_${key}`] = value
  return message
}

export function unpackContext(message: Message): RequestContext {
  const wire: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(message)) {
    if (key.startsWith('_context_')) wire[key.slice('_context_'.length)] = value
  }
  return contextFromWire(wire)
}

/** The failure string of a reply: the error's class, module and message as JSON. */
export function serializeFailure(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err))
  const isNova = e instanceof ApiError
  return JSON.stringify({
    class: isNova ? e.name : e.name || 'Error',
    module: isNova ? 'nova.exception' : 'builtins',
    message: e.message,
    tb: (e.stack ?? '').split('\n').slice(1, 8),
    args: [e.message],
    kwargs: {},
  })
}

export function deserializeFailure(failure: string): Error {
  try {
    const parsed = JSON.parse(failure) as { class?: string; message?: string }
    return errorFromRemote(String(parsed.class ?? 'RemoteError'), String(parsed.message ?? ''))
  } catch {
    return errorFromRemote('RemoteError', failure)
  }
}
