import type { FastifyInstance } from 'fastify'
import { MAX_VERSION, MIN_VERSION } from '../microversion.js'

const V21_UPDATED = '2013-07-23T11:33:21Z'

function v21(baseUrl: string) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: V21_UPDATED,
    links: [{ rel: 'self', href: `${baseUrl}/v2.1/` }],
  }
}

/** Version discovery: `GET /` lists versions, `GET /v2.1` describes the one we speak. */
export function versionRoutes(app: FastifyInstance, baseUrl: (host: string | undefined) => string): void {
  app.get('/', async (request) => {
    const base = baseUrl(request.headers.host)
    return {
      versions: [
        {
          id: 'v2.0',
          status: 'SUPPORTED',
          version: '',
          min_version: '',
          updated: '2011-01-21T11:33:21Z',
          links: [{ rel: 'self', href: `${base}/v2/` }],
        },
        v21(base),
      ],
    }
  })
  const versionDoc = async (request: { headers: { host?: string } }) => {
    const base = baseUrl(request.headers.host)
    const doc = v21(base)
    return {
      version: {
        ...doc,
        links: [...doc.links, { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }],
        'media-types': [
          { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
        ],
      },
    }
  }
  app.get('/v2.1', versionDoc)
  app.get('/v2.1/', versionDoc)
}
