/** A small compute API client for tests: JSON in and out, noauth2 tokens, a microversion. */
export interface Response<T = Record<string, unknown>> {
  readonly status: number
  readonly headers: Headers
  readonly body: T
}

export class ComputeClient {
  /** Whether waitForStatus may list every project's servers; false once that was refused. */
  private allProjects = true

  constructor(
    readonly baseUrl: string,
    readonly token = 'admin:admin',
    readonly microversion = '2.37',
  ) {}

  as(token: string, microversion = this.microversion): ComputeClient {
    return new ComputeClient(this.baseUrl, token, microversion)
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Response<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'x-auth-token': this.token,
        'openstack-api-version': `compute ${this.microversion}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T }
  }

  async createServer(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await this.request<{ server: { id: string } }>('POST', '/v2.1/servers', {
      server: {
        name,
        flavorRef: '1',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
        ...extra,
      },
    })
    if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`)
    return res.body.server.id
  }

  async getServer(id: string): Promise<Response<{ server: Record<string, unknown> }>> {
    return this.request('GET', `/v2.1/servers/${id}`)
  }

  /** Poll until every server has `status` (or one is ERROR when waiting for ACTIVE). */
  async waitForStatus(
    ids: readonly string[],
    status: string,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      // Every project's servers when the caller may see them (admins); its own otherwise (403).
      const res = await this.request<{ servers: Record<string, unknown>[] }>(
        'GET',
        `/v2.1/servers/detail${this.allProjects ? '?all_tenants=1' : ''}`,
      )
      if (res.status === 403 && this.allProjects) {
        this.allProjects = false
        continue
      }
      const byId = new Map(res.body.servers.map((s) => [s.id as string, s]))
      const servers = ids.map((id) => byId.get(id))
      if (servers.every((s) => s?.status === status)) return servers as Record<string, unknown>[]
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${status}: ${JSON.stringify(servers.map((s) => s?.status ?? 'gone'))}`,
        )
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async waitForGone(ids: readonly string[], timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const statuses = await Promise.all(ids.map((id) => this.getServer(id).then((r) => r.status)))
      if (statuses.every((s) => s === 404)) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for deletion: ${statuses.join(',')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
