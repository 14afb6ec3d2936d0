/**
 * Glance's errors are the shared hierarchy's (src/shared/errors.ts); Glance renders them as
 * webob's HTML error page: the status, its reason phrase, and the explanation.
 */
import { REASON_PHRASES } from '../shared/error-answer.js'
import { Conflict, Forbidden, Invalid, NotFound } from '../shared/errors.js'

export function errorPage(code: number, message: string): string {
  const title = `${code} ${REASON_PHRASES[code] ?? 'Error'}`
  const escaped = message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  return `<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  ${escaped}<br /><br />\n\n\n\n </body>\n</html>`
}

export const badRequest = (m: string) => new Invalid(m)
export const forbidden = (m: string) => new Forbidden(m)
export const notFound = (m: string) => new NotFound(m)
export const conflict = (m: string) => new Conflict(m)
