/** Glance's errors: the status, its reason phrase, and the explanation webob renders. */
export class ImageApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** The HTML error page Glance (webob) answers with. */
export function errorPage(code: number, message: string): string {
  const title = `${code} ${REASONS[code] ?? 'Error'}`
  const escaped = message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  return `<html>\n <head>\n  <title>${title}</title>\n </head>\n <body>\n  <h1>${title}</h1>\n  ${escaped}<br /><br />\n\n\n\n </body>\n</html>`
}

export const badRequest = (m: string) => new ImageApiError(400, m)
export const forbidden = (m: string) => new ImageApiError(403, m)
export const notFound = (m: string) => new ImageApiError(404, m)
export const conflict = (m: string) => new ImageApiError(409, m)
