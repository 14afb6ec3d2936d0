import type { CatalogEntry, ValidatedToken } from './identity-service.js'
import { keystoneTime } from './identity-service.js'
import type { Domain, Project, Role, User } from './identity-store.js'

/** `http://<host>/v3`, from the request's Host (what the client used to reach us). */
export type LinkBase = string

export function domainView(d: Domain, base: LinkBase) {
  return {
    id: d.id,
    name: d.name,
    description: d.description ?? '',
    enabled: d.enabled,
    tags: [],
    options: {},
    links: { self: `${base}/domains/${d.id}` },
  }
}

export function projectView(p: Project, base: LinkBase) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description ?? '',
    enabled: p.enabled,
    parent_id: p.domain_id,
    is_domain: false,
    tags: [],
    options: {},
    links: { self: `${base}/projects/${p.id}` },
  }
}

export function userView(u: User, base: LinkBase) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled,
    password_expires_at: null,
    ...(u.default_project_id ? { default_project_id: u.default_project_id } : {}),
    ...(u.email ? { email: u.email } : {}),
    ...(u.description ? { description: u.description } : {}),
    options: {},
    links: { self: `${base}/users/${u.id}` },
  }
}

export function roleView(r: Role, base: LinkBase) {
  return {
    id: r.id,
    name: r.name,
    domain_id: null,
    description: r.description,
    options: {},
    links: { self: `${base}/roles/${r.id}` },
  }
}

export function listLinks(base: LinkBase, path: string) {
  return { self: `${base}${path}`, previous: null, next: null }
}

const ref = (d: Domain | undefined, id: string) => ({ id, name: d?.name ?? id })

/** The body of `POST/GET /v3/auth/tokens`, as Keystone renders a token. */
export function tokenView(
  v: ValidatedToken,
  domains: ReadonlyMap<string, Domain>,
  roles: readonly Role[],
  catalog: readonly CatalogEntry[] | null,
) {
  const c = v.claims
  return {
    token: {
      methods: c.methods,
      user: {
        domain: ref(domains.get(v.user.domain_id), v.user.domain_id),
        id: v.user.id,
        name: v.user.name,
        password_expires_at: null,
      },
      audit_ids: c.auditIds,
      expires_at: keystoneTime(c.expiresAt),
      issued_at: keystoneTime(c.issuedAt),
      ...(v.project
        ? {
            project: {
              domain: ref(domains.get(v.project.domain_id), v.project.domain_id),
              id: v.project.id,
              name: v.project.name,
            },
            is_domain: false,
          }
        : {}),
      ...(v.domain ? { domain: { id: v.domain.id, name: v.domain.name } } : {}),
      ...(v.project || v.domain ? { roles: roles.map((r) => ({ id: r.id, name: r.name })) } : {}),
      ...(catalog ? { catalog } : {}),
    },
  }
}
