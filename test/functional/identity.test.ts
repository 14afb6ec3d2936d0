/**
 * The built-in identity service (Keystone v3 subset) and the compute API under
 * `auth_strategy = keystone`: tokens, scoping, the catalog, admin resources and their policy,
 * revocation, and validation by the compute API (locally, and against a "remote" Keystone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  identityStore,
  type ListeningServer,
  startIdentity,
  startImage,
} from '../../src/cmd/identity-image.js'
import { bootstrap } from '../../src/identity/bootstrap.js'
import { RemoteTokenValidator } from '../../src/identity/token-validator.js'
import { InvalidToken, TokenSigner, TokenVerifier } from '../../src/identity/tokens.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeDatabases } from '../harness/matrix.js'

const IMAGE = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'
const PASSWORD = 's3cret-admin'

interface Res<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
}

async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.token ? { 'x-auth-token': options.token } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T }
}

function passwordAuth(user: string, password: string, project?: string) {
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: user, domain: { name: 'Default' }, password } },
      },
      ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
    },
  }
}

describeDatabases('identity on $db', ({ db }) => {
  let cloud: Cloud
  let identity: ListeningServer
  let image: ListeningServer
  let ks: string
  let adminToken: string

  const token = async (user: string, password: string, project?: string) => {
    const res = await call(ks, 'POST', '/v3/auth/tokens', { body: passwordAuth(user, password, project) })
    expect(res.status).toBe(201)
    return res.headers.get('x-subject-token')!
  }

  beforeAll(async () => {
    cloud = await startCloud({
      transport: 'memory',
      db,
      config: { api: { auth_strategy: 'keystone' }, token: { expiration: '3600' } },
    })
    identity = await startIdentity(cloud.runtime, { host: '127.0.0.1', port: 0 })
    image = await startImage(cloud.runtime, { host: '127.0.0.1', port: 0 })
    ks = identity.url
    await bootstrap(identityStore(cloud.runtime), {
      password: PASSWORD,
      urls: { identity: `${ks}/v3/`, compute: `${cloud.url}/v2.1`, image: image.url },
    })
    adminToken = await token('admin', PASSWORD, 'admin')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('answers version discovery: 300 at the root, the v3 document at /v3', async () => {
    const root = await call<{ versions: { values: { id: string; status: string }[] } }>(ks, 'GET', '/')
    expect(root.status).toBe(300)
    expect(root.body.versions.values).toEqual([
      expect.objectContaining({ id: 'v3.14', status: 'stable', links: [{ rel: 'self', href: `${ks}/v3/` }] }),
    ])
    const v3 = await call<{ version: Record<string, unknown> }>(ks, 'GET', '/v3')
    expect(v3.status).toBe(200)
    expect(v3.body.version).toMatchObject({
      id: 'v3.14',
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    })
  })

  it('issues a project-scoped token with roles and the catalog', async () => {
    const res = await call<{ token: Record<string, unknown> }>(ks, 'POST', '/v3/auth/tokens', {
      body: passwordAuth('admin', PASSWORD, 'admin'),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-subject-token')).toBeTruthy()
    const t = res.body.token as {
      methods: string[]
      user: { name: string; domain: { id: string; name: string } }
      project: { name: string; domain: { id: string; name: string } }
      roles: { name: string }[]
      expires_at: string
      issued_at: string
      audit_ids: string[]
      catalog: {
        type: string
        name: string
        endpoints: { interface: string; region: string; url: string }[]
      }[]
    }
    expect(t.methods).toEqual(['password'])
    expect(t.user).toMatchObject({ name: 'admin', domain: { id: 'default', name: 'Default' } })
    expect(t.project).toMatchObject({ name: 'admin', domain: { id: 'default', name: 'Default' } })
    expect(t.roles.map((r) => r.name).sort()).toEqual(['admin', 'member', 'reader'])
    expect(t.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    const lifetime = Date.parse(t.expires_at) - Date.parse(t.issued_at)
    expect(lifetime).toBeGreaterThan(3599_000)
    expect(lifetime).toBeLessThanOrEqual(3600_000)
    expect(t.audit_ids).toHaveLength(1)
    const byType = Object.fromEntries(t.catalog.map((s) => [s.type, s]))
    expect(Object.keys(byType).sort()).toEqual(['compute', 'identity', 'image'])
    expect(byType.compute!.name).toBe('nova')
    for (const s of t.catalog) {
      expect(s.endpoints.map((e) => e.interface).sort()).toEqual(['admin', 'internal', 'public'])
      expect(new Set(s.endpoints.map((e) => e.region))).toEqual(new Set(['RegionOne']))
    }
    expect(byType.compute!.endpoints[0]!.url).toBe(`${cloud.url}/v2.1`)
    expect(byType.image!.endpoints[0]!.url).toBe(image.url)
  })

  it('refuses wrong passwords and unknown users alike, with WWW-Authenticate', async () => {
    for (const body of [passwordAuth('admin', 'wrong', 'admin'), passwordAuth('nobody', PASSWORD, 'admin')]) {
      const res = await call(ks, 'POST', '/v3/auth/tokens', { body })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({
        error: {
          code: 401,
          title: 'Unauthorized',
          message: 'The request you have made requires authentication.',
        },
      })
      expect(res.headers.get('www-authenticate')).toMatch(/^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/)
    }
    const bad = await call(ks, 'POST', '/v3/auth/tokens', { body: { auth: {} } })
    expect(bad.status).toBe(400)
  })

  it('authenticates by ids, unscoped, and rescopes with the token method', async () => {
    const users = await call<{ users: { id: string; name: string }[] }>(ks, 'GET', '/v3/users?name=admin', {
      token: adminToken,
    })
    const adminId = users.body.users[0]!.id
    const projects = await call<{ projects: { id: string }[] }>(ks, 'GET', '/v3/projects?name=admin', {
      token: adminToken,
    })
    const projectId = projects.body.projects[0]!.id
    // The admin's default project is admin: no scope still gives a scoped token, as in Keystone.
    const byId = await call<{ token: { project: { id: string } } }>(ks, 'POST', '/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['password'], password: { user: { id: adminId, password: PASSWORD } } },
        },
      },
    })
    expect(byId.status).toBe(201)
    expect(byId.body.token.project.id).toBe(projectId)

    // A user without a default project gets an unscoped token: no roles, no catalog entries.
    await call(ks, 'POST', '/v3/users', {
      token: adminToken,
      body: { user: { name: 'carol', password: 'pw-carol' } },
    })
    const unscoped = await call<{ token: Record<string, unknown> }>(ks, 'POST', '/v3/auth/tokens', {
      body: passwordAuth('carol', 'pw-carol'),
    })
    expect(unscoped.status).toBe(201)
    expect(unscoped.body.token).not.toHaveProperty('project')
    expect(unscoped.body.token).not.toHaveProperty('roles')
    expect(unscoped.body.token.catalog).toEqual([])
    // ... which the compute API does not accept,
    const compute = new ComputeClient(cloud.url, unscoped.headers.get('x-subject-token')!)
    expect((await compute.request('GET', '/v2.1/servers')).status).toBe(401)
    // ... and which rescopes only where carol has a role.
    const rescope = (tokenId: string) =>
      call<{ token: { methods: string[]; expires_at: string; audit_ids: string[] } }>(
        ks,
        'POST',
        '/v3/auth/tokens',
        {
          body: {
            auth: {
              identity: { methods: ['token'], token: { id: tokenId } },
              scope: { project: { id: projectId } },
            },
          },
        },
      )
    expect((await rescope(unscoped.headers.get('x-subject-token')!)).status).toBe(401)
    const scoped = await rescope(byId.headers.get('x-subject-token')!)
    expect(scoped.status).toBe(201)
    expect(scoped.body.token.methods).toEqual(['password', 'token'])
    const original = await call<{ token: { expires_at: string; audit_ids: string[] } }>(
      ks,
      'GET',
      '/v3/auth/tokens',
      {
        token: adminToken,
        headers: { 'x-subject-token': byId.headers.get('x-subject-token')! },
      },
    )
    expect(scoped.body.token.expires_at).toBe(original.body.token.expires_at)
    expect(scoped.body.token.audit_ids[1]).toBe(original.body.token.audit_ids[0])
  })

  it('validates, checks and revokes tokens; the compute API stops accepting a revoked one', async () => {
    const t = await token('admin', PASSWORD, 'admin')
    const get = await call<{ token: { user: { name: string } } }>(ks, 'GET', '/v3/auth/tokens', {
      token: adminToken,
      headers: { 'x-subject-token': t },
    })
    expect(get.status).toBe(200)
    expect(get.headers.get('x-subject-token')).toBe(t)
    expect(get.body.token.user.name).toBe('admin')
    const head = await fetch(`${ks}/v3/auth/tokens`, {
      method: 'HEAD',
      headers: { 'x-auth-token': adminToken, 'x-subject-token': t },
    })
    expect(head.status).toBe(200)
    const compute = new ComputeClient(cloud.url, t)
    expect((await compute.request('GET', '/v2.1/servers')).status).toBe(200)

    const del = await call(ks, 'DELETE', '/v3/auth/tokens', {
      token: adminToken,
      headers: { 'x-subject-token': t },
    })
    expect(del.status).toBe(204)
    const gone = await call(ks, 'GET', '/v3/auth/tokens', {
      token: adminToken,
      headers: { 'x-subject-token': t },
    })
    expect(gone.status).toBe(404)
    // The compute API shares this process's verifier here; another process sees it within a second.
    expect((await compute.request('GET', '/v2.1/servers')).status).toBe(401)
    const bogus = await call(ks, 'GET', '/v3/auth/tokens', {
      token: adminToken,
      headers: { 'x-subject-token': `${t.slice(0, -4)}AAAA` },
    })
    expect(bogus.status).toBe(404)
  })

  it('makes the compute API answer 401 as Nova does, and map the admin role to admin', async () => {
    const none = await fetch(`${cloud.url}/v2.1/servers`, {
      headers: { 'openstack-api-version': 'compute 2.1' },
    })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Keystone uri="http:\/\/.+"$/)
    expect(await none.json()).toEqual({
      error: {
        code: 401,
        title: 'Unauthorized',
        message: 'The request you have made requires authentication.',
      },
    })
    const forged = new ComputeClient(cloud.url, 'admin:admin')
    expect((await forged.request('GET', '/v2.1/servers')).status).toBe(401)
    const admin = new ComputeClient(cloud.url, adminToken)
    const services = await admin.request('GET', '/v2.1/os-services')
    expect(services.status).toBe(200)
  })

  it('manages projects, users and roles; members get 403 and see only their project', async () => {
    const project = await call<{ project: { id: string; name: string; domain_id: string } }>(
      ks,
      'POST',
      '/v3/projects',
      {
        token: adminToken,
        body: { project: { name: 'demo', description: 'Demo' } },
      },
    )
    expect(project.status).toBe(201)
    expect(project.body.project).toMatchObject({ name: 'demo', domain_id: 'default', enabled: true })
    const dup = await call(ks, 'POST', '/v3/projects', {
      token: adminToken,
      body: { project: { name: 'demo' } },
    })
    expect(dup.status).toBe(409)
    // Clients look a name up as an id first: that must be a 404 before they fall back to a list.
    const byName = await call(ks, 'GET', '/v3/projects/demo', { token: adminToken })
    expect(byName.status).toBe(404)
    expect(byName.body).toEqual({
      error: { code: 404, title: 'Not Found', message: 'Could not find project: demo.' },
    })

    const user = await call<{ user: { id: string; default_project_id: string } }>(ks, 'POST', '/v3/users', {
      token: adminToken,
      body: { user: { name: 'bob', password: 'pw-bob', default_project_id: project.body.project.id } },
    })
    expect(user.status).toBe(201)
    expect(user.body.user).not.toHaveProperty('password')
    const roles = await call<{ roles: { id: string; name: string }[] }>(ks, 'GET', '/v3/roles?name=member', {
      token: adminToken,
    })
    const member = roles.body.roles[0]!
    const grantPath = `/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/${member.id}`
    expect((await call(ks, 'PUT', grantPath, { token: adminToken })).status).toBe(204)
    expect((await call(ks, 'HEAD', grantPath, { token: adminToken })).status).toBe(204)
    const assignments = await call<{ role_assignments: unknown[] }>(
      ks,
      'GET',
      `/v3/role_assignments?user.id=${user.body.user.id}&include_names`,
      { token: adminToken },
    )
    expect(assignments.body.role_assignments).toEqual([
      expect.objectContaining({
        role: { id: member.id, name: 'member' },
        scope: {
          project: { id: project.body.project.id, name: 'demo', domain: { id: 'default', name: 'Default' } },
        },
      }),
    ])

    const bobToken = await token('bob', 'pw-bob', 'demo')
    const bobView = await call<{ token: { roles: { name: string }[] } }>(ks, 'GET', '/v3/auth/tokens', {
      token: bobToken,
      headers: { 'x-subject-token': bobToken },
    })
    expect(bobView.body.token.roles.map((r) => r.name).sort()).toEqual(['member', 'reader'])
    for (const [method, path, body] of [
      ['POST', '/v3/projects', { project: { name: 'evil' } }],
      ['GET', '/v3/users', undefined],
      ['PUT', grantPath.replace(member.id, roles.body.roles[0]!.id), undefined],
      ['DELETE', `/v3/projects/${project.body.project.id}`, undefined],
    ] as const) {
      const res = await call<{ error: { code: number; message: string } }>(ks, method, path, {
        token: bobToken,
        body,
      })
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.error.message).toMatch(
        /^You are not authorized to perform the requested action: identity:/,
      )
    }
    expect((await call(ks, 'GET', `/v3/users/${user.body.user.id}`, { token: bobToken })).status).toBe(200)
    const own = await call<{ projects: { name: string }[] }>(ks, 'GET', '/v3/auth/projects', {
      token: bobToken,
    })
    expect(own.body.projects.map((p) => p.name)).toEqual(['demo'])

    // In compute: bob is no admin and sees only demo's servers.
    const admin = new ComputeClient(cloud.url, adminToken)
    const bob = new ComputeClient(cloud.url, bobToken)
    const adminServer = await admin.createServer('admin-vm', { imageRef: IMAGE })
    const bobServer = await bob.createServer('bob-vm', { imageRef: IMAGE })
    await admin.waitForStatus([adminServer, bobServer], 'ACTIVE')
    // Every project's servers are for admins only (403, as Nova); bob lists his own.
    expect((await bob.request('GET', '/v2.1/servers?all_tenants=1')).status).toBe(403)
    const bobList = await bob.request<{ servers: { id: string }[] }>('GET', '/v2.1/servers')
    expect(bobList.body.servers.map((s) => s.id)).toEqual([bobServer])
    expect((await bob.getServer(adminServer)).status).toBe(404)
    expect((await bob.request('GET', '/v2.1/os-services')).status).toBe(403)
    const bobDetail = await bob.getServer(bobServer)
    expect(bobDetail.body.server.tenant_id).toBe(project.body.project.id)
    expect(bobDetail.body.server.user_id).toBe(user.body.user.id)

    // Taking the role away revokes bob's tokens on demo, in identity and in compute.
    expect((await call(ks, 'DELETE', grantPath, { token: adminToken })).status).toBe(204)
    expect((await bob.request('GET', '/v2.1/servers')).status).toBe(401)
    expect(
      (await call(ks, 'POST', '/v3/auth/tokens', { body: passwordAuth('bob', 'pw-bob', 'demo') })).status,
    ).toBe(401)
    for (const id of [adminServer, bobServer]) await admin.request('DELETE', `/v2.1/servers/${id}`)
    await admin.waitForGone([adminServer, bobServer])
  })

  it('changes a password only with the original one, and revokes the old tokens', async () => {
    await call(ks, 'POST', '/v3/users', {
      token: adminToken,
      body: { user: { name: 'dave', password: 'old-pw' } },
    })
    const daveToken = await token('dave', 'old-pw')
    const me = await call<{ token: { user: { id: string } } }>(ks, 'GET', '/v3/auth/tokens', {
      token: daveToken,
      headers: { 'x-subject-token': daveToken },
    })
    const id = me.body.token.user.id
    const wrong = await call(ks, 'POST', `/v3/users/${id}/password`, {
      token: daveToken,
      body: { user: { original_password: 'nope', password: 'new-pw' } },
    })
    expect(wrong.status).toBe(401)
    const ok = await call(ks, 'POST', `/v3/users/${id}/password`, {
      token: daveToken,
      body: { user: { original_password: 'old-pw', password: 'new-pw' } },
    })
    expect(ok.status).toBe(204)
    expect((await call(ks, 'GET', '/v3/auth/projects', { token: daveToken })).status).toBe(401)
    expect((await call(ks, 'POST', '/v3/auth/tokens', { body: passwordAuth('dave', 'old-pw') })).status).toBe(
      401,
    )
    expect((await call(ks, 'POST', '/v3/auth/tokens', { body: passwordAuth('dave', 'new-pw') })).status).toBe(
      201,
    )
  })

  it('serves the catalog and the catalog admin APIs', async () => {
    const catalog = await call<{ catalog: { type: string }[] }>(ks, 'GET', '/v3/auth/catalog', {
      token: adminToken,
    })
    expect(catalog.body.catalog.map((c) => c.type).sort()).toEqual(['compute', 'identity', 'image'])
    const endpoints = await call<{ endpoints: unknown[] }>(ks, 'GET', '/v3/endpoints', { token: adminToken })
    expect(endpoints.body.endpoints).toHaveLength(9)
    const services = await call<{ services: { name: string }[] }>(ks, 'GET', '/v3/services', {
      token: adminToken,
    })
    expect(services.body.services.map((s) => s.name).sort()).toEqual(['glance', 'keystone', 'nova'])
    const domains = await call<{ domains: { id: string; name: string }[] }>(ks, 'GET', '/v3/domains', {
      token: adminToken,
    })
    expect(domains.body.domains.map((d) => [d.id, d.name])).toEqual([['default', 'Default']])
  })

  it('refuses fields longer than their columns with 400 in Keystone words', async () => {
    const longName = 'p'.repeat(65)
    const project = await call(ks, 'POST', '/v3/projects', {
      token: adminToken,
      body: { project: { name: longName } },
    })
    expect(project.status).toBe(400)
    expect(project.body).toEqual({
      error: {
        code: 400,
        title: 'Bad Request',
        message: `Invalid input for field 'name': '${longName}' is too long`,
      },
    })
    const missing = await call(ks, 'POST', '/v3/users', { token: adminToken, body: { user: {} } })
    expect(missing.body).toEqual({
      error: { code: 400, title: 'Bad Request', message: "'name' is a required property" },
    })
    for (const [path, body] of [
      ['/v3/users', { user: { name: 'u'.repeat(256) } }],
      ['/v3/users', { user: { name: 'mail', email: `${'e'.repeat(250)}@example.org` } }],
      ['/v3/roles', { role: { name: 'r'.repeat(256) } }],
      ['/v3/domains', { domain: { name: 'd'.repeat(65) } }],
      ['/v3/services', { service: { type: 't'.repeat(256) } }],
      [
        '/v3/endpoints',
        { endpoint: { interface: 'public', service_id: 'x', url: 'http://a', region_id: 'r'.repeat(256) } },
      ],
      ['/v3/endpoints', { endpoint: { interface: 'sideways', service_id: 'x', url: 'http://a' } }],
    ] as const) {
      const res = await call<{ error: { code: number; message: string } }>(ks, 'POST', path, {
        token: adminToken,
        body,
      })
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(400)
      expect(res.body.error.message).toMatch(/^Invalid input for field '\w+': /)
    }
  })

  it('validates through an external Keystone when [keystone_authtoken] auth_url is set', async () => {
    const remote = new RemoteTokenValidator(`${ks}/v3`)
    const identity = await remote.validate(adminToken)
    expect(identity.roles).toContain('admin')
    expect(identity.projectId).toMatch(/^[0-9a-f]{32}$/)
    await expect(remote.validate('not-a-token')).rejects.toBeInstanceOf(InvalidToken)
  })
})

describe('token signatures', () => {
  const keys: { id: string; private_key: string; public_key: string; created_at: string }[] = []
  const store = {
    listSigningKeys: async () => keys,
    addSigningKey: async (k: (typeof keys)[number]) => void keys.push(k),
    listRevocations: async () => [],
  }
  // Made when a test runs, not when the file loads: the suites before this one take minutes.
  const claims = () => ({
    userId: 'u1',
    projectId: 'p1',
    domainId: null,
    roles: ['member'],
    methods: ['password'],
    issuedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    auditIds: ['a1'],
  })

  it('verifies what it signed and refuses tampered, foreign and expired tokens', async () => {
    const signer = new TokenSigner(store)
    const token = await signer.issue(claims())
    expect(await new TokenVerifier(store).verify(token)).toMatchObject({ userId: 'u1', roles: ['member'] })
    const [body, sig] = token.split('.') as [string, string]
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    payload.r = ['admin']
    const tampered = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`
    await expect(new TokenVerifier(store).verify(tampered)).rejects.toBeInstanceOf(InvalidToken)
    await expect(new TokenVerifier(store).verify('x.y')).rejects.toBeInstanceOf(InvalidToken)
    const later = new TokenVerifier(store, { now: () => Date.now() + 61_000 })
    await expect(later.verify(token)).rejects.toThrow('expired')
  })
})
