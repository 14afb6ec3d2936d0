import { randomBytes } from 'node:crypto'
import path from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../config/config.js'
import type { IdentitySchema, ImageSchema } from '../db/api/schema.js'
import type { Db } from '../db/connect.js'
import { bootstrap, type CatalogUrls, readOpenrcPassword, writeOpenrc } from '../identity/bootstrap.js'
import { IdentityService } from '../identity/identity-service.js'
import { DEFAULT_DOMAIN_ID, IdentityStore } from '../identity/identity-store.js'
import { verifyPassword } from '../identity/password.js'
import {
  keystoneContext,
  LocalTokenValidator,
  RemoteTokenValidator,
  type TokenValidator,
} from '../identity/token-validator.js'
import { TokenSigner, TokenVerifier } from '../identity/tokens.js'
import { FilesystemStore } from '../image/filesystem-store.js'
import { ImageService } from '../image/image-service.js'
import { ImageStore } from '../image/image-store.js'
import { seedPlaceholderImage } from '../image/placeholder.js'
import type { RequestContext } from '../shared/context.js'
import type { ControlRuntime } from './control-runtime.js'

/**
 * Composition of the built-in identity (Keystone v3 subset) and image (Glance v2 subset)
 * services, and of the token validation every API process does.
 */

interface Shared {
  identityStore?: IdentityStore
  verifier?: TokenVerifier
  images?: ImageService
}
const shared = new WeakMap<ControlRuntime, Shared>()
const of = (rt: ControlRuntime): Shared => {
  let s = shared.get(rt)
  if (!s) {
    s = {}
    shared.set(rt, s)
  }
  return s
}

export function identityStore(rt: ControlRuntime): IdentityStore {
  const s = of(rt)
  s.identityStore ??= new IdentityStore(rt.apiStore().db as unknown as Db<IdentitySchema>)
  return s.identityStore
}

function tokenVerifier(rt: ControlRuntime): TokenVerifier {
  const s = of(rt)
  s.verifier ??= new TokenVerifier(identityStore(rt))
  return s.verifier
}

export function imageService(rt: ControlRuntime): ImageService {
  const s = of(rt)
  s.images ??= new ImageService(
    new ImageStore(rt.apiStore().db as unknown as Db<ImageSchema>),
    new FilesystemStore(rt.config.glance_store.filesystem_store_datadir),
  )
  return s.images
}

/** The host name a listen address is reached by: the address itself, or `[DEFAULT] host` for a wildcard. */
export function advertisedHost(listen: string, host: string): string {
  if (listen === '' || listen === '0.0.0.0' || listen === '::') return host
  return listen.includes(':') ? `[${listen}]` : listen
}

function listenOf(config: Config, bindHost: string): string {
  return bindHost || config.osapi_compute_listen
}

/** The catalog a distributed set-up advertises, from the configured addresses and ports. */
export function configuredCatalogUrls(config: Config): CatalogUrls {
  const h = (listen: string) => advertisedHost(listen, config.host)
  return {
    identity: `http://${h(listenOf(config, config.identity.bind_host))}:${config.identity.bind_port}/v3/`,
    compute: `http://${h(config.osapi_compute_listen)}:${config.osapi_compute_listen_port}/v2.1`,
    image: `http://${h(listenOf(config, config.image.bind_host))}:${config.image.bind_port}`,
  }
}

/** `[keystone_authtoken] www_authenticate_uri`, or the built-in identity's root. */
export function wwwAuthenticateUri(config: Config): string {
  if (config.keystone_authtoken.www_authenticate_uri) return config.keystone_authtoken.www_authenticate_uri
  if (config.keystone_authtoken.auth_url) return config.keystone_authtoken.auth_url
  return configuredCatalogUrls(config).identity.replace(/v3\/$/, '')
}

/**
 * How an API process validates tokens: against the Keystone of `[keystone_authtoken] auth_url`
 * when one is set, else locally with the built-in identity's keys (no call to it).
 */
export function tokenValidator(rt: ControlRuntime): TokenValidator {
  const url = rt.config.keystone_authtoken.auth_url
  return url ? new RemoteTokenValidator(url) : new LocalTokenValidator(tokenVerifier(rt))
}

/** The compute API's `keystone` option (undefined under noauth2). */
export function computeKeystoneAuth(
  rt: ControlRuntime,
): { validator: TokenValidator; wwwAuthenticateUri: string } | undefined {
  if (rt.config.api.auth_strategy !== 'keystone') return undefined
  return { validator: tokenValidator(rt), wwwAuthenticateUri: wwwAuthenticateUri(rt.config) }
}

/**
 * Nova's `verify_project_id` (addTenantAccess) against the built-in identity. With noauth2 or an
 * external Keystone there is nothing to ask here, and Nova lets the request on when it cannot tell.
 */
export function projectVerifier(rt: ControlRuntime): ((projectId: string) => Promise<boolean>) | undefined {
  if (rt.config.api.auth_strategy !== 'keystone' || rt.config.keystone_authtoken.auth_url) return undefined
  const store = identityStore(rt)
  return async (projectId) => (await store.getProject(projectId)) !== undefined
}

export interface ListeningServer {
  readonly app: FastifyInstance
  /** `http://host:port` as bound. */
  readonly url: string
}

async function listen(
  rt: ControlRuntime,
  app: FastifyInstance,
  host: string,
  port: number,
): Promise<ListeningServer> {
  const url = await app.listen({ host, port })
  rt.onClose(() => app.close())
  return { app, url }
}

/** The identity service (keystone), on `[identity] bind_host:bind_port`. */
export async function startIdentity(
  rt: ControlRuntime,
  at: { host?: string; port?: number } = {},
): Promise<ListeningServer> {
  const { config } = rt
  const { buildIdentityApp } = await import('../identity/app.js')
  const store = identityStore(rt)
  const verifier = tokenVerifier(rt)
  const identity = new IdentityService(store, new TokenSigner(store), verifier, {
    expirationS: config.token.expiration,
  })
  const app = buildIdentityApp({ identity, log: rt.log.child({ host: config.host }) })
  const server = await listen(
    rt,
    app,
    at.host ?? listenOf(config, config.identity.bind_host),
    at.port ?? config.identity.bind_port,
  )
  rt.log.child({ service: 'keystone' }).info(`identity listening on ${server.url}`)
  return server
}

/** The image service (glance-api), on `[image] bind_host:bind_port`. */
export async function startImage(
  rt: ControlRuntime,
  at: { host?: string; port?: number } = {},
): Promise<ListeningServer> {
  const { config } = rt
  const { buildImageApp } = await import('../image/app.js')
  const { noauth2Context } = await import('../api/auth.js')
  const keystone = config.api.auth_strategy === 'keystone' ? tokenValidator(rt) : undefined
  const authenticate = (request: FastifyRequest, requestId: string): Promise<RequestContext> =>
    keystone
      ? keystoneContext(request, keystone, requestId, null)
      : Promise.resolve(noauth2Context(request, requestId, null))
  const app = buildImageApp({
    images: imageService(rt),
    log: rt.log.child({ host: config.host }),
    authenticate,
    wwwAuthenticateUri: wwwAuthenticateUri(config),
  })
  const server = await listen(
    rt,
    app,
    at.host ?? listenOf(config, config.image.bind_host),
    at.port ?? config.image.bind_port,
  )
  rt.log.child({ service: 'glance-api' }).info(`image listening on ${server.url}`)
  return server
}

export interface AllInOneLogin {
  readonly identityUrl: string
  readonly imageUrl: string
  /** The openrc file, or undefined when the admin's password is unknown here. */
  readonly openrc: string | undefined
}

/**
 * The all-in-one's first start (and every start after): identity and image services up, the
 * admin and the catalog bootstrapped with the URLs really bound, the placeholder image seeded,
 * and `openrc` written into `state_path` when the admin's password is known here: `[identity]
 * bootstrap_password` (set now), a generated one (first start), or the one an earlier openrc
 * holds once the identity store confirms it is still the admin's.
 */
export async function startIdentityAndImage(rt: ControlRuntime, computeUrl: string): Promise<AllInOneLogin> {
  const { config } = rt
  const identity = await startIdentity(rt)
  const image = await startImage(rt)
  const public_ = (url: string, listenAddr: string) => {
    const u = new URL(url)
    return `http://${advertisedHost(listenAddr, config.host)}:${u.port}`
  }
  const urls: CatalogUrls = {
    identity: `${public_(identity.url, listenOf(config, config.identity.bind_host))}/v3/`,
    compute: `${public_(computeUrl, config.osapi_compute_listen)}/v2.1`,
    image: public_(image.url, listenOf(config, config.image.bind_host)),
  }
  const store = identityStore(rt)
  const admin = await store.findUser('admin', DEFAULT_DOMAIN_ID)
  const fromOpenrc = readOpenrcPassword(config.state_path)
  // Only a password set now is certain; the openrc may be stale or another cloud's.
  const settingPassword =
    config.identity.bootstrap_password ||
    (admin ? undefined : fromOpenrc || randomBytes(12).toString('base64url'))
  const result = await bootstrap(store, {
    password: settingPassword,
    regionId: config.identity.region_name,
    urls,
  })
  await seedPlaceholderImage(imageService(rt), result.projectId)
  const password =
    settingPassword ??
    (fromOpenrc !== undefined && (await verifyPassword(fromOpenrc, admin?.password_hash ?? null))
      ? fromOpenrc
      : undefined)
  const openrc =
    password === undefined
      ? undefined
      : writeOpenrc(config.state_path, {
          authUrl: urls.identity.replace(/\/$/, ''),
          username: 'admin',
          password,
          projectName: 'admin',
          regionName: config.identity.region_name,
        })
  if (password === undefined && fromOpenrc !== undefined) {
    // Likely `tsnova-manage bootstrap` of another cloud, run with the same state_path.
    rt.log.warn(
      `${path.join(config.state_path, 'openrc')} does not hold the admin's current password: left as it is. ` +
        "Set [identity] bootstrap_password, or run 'tsnova-manage bootstrap --bootstrap-password …' with " +
        "the all-in-one's configuration, to write one that logs in",
    )
  }
  return { identityUrl: urls.identity.replace(/\/$/, ''), imageUrl: urls.image, openrc }
}
