/**
 * Flavor management (create, update, delete, extra specs, access lists of private flavors) and
 * the server action route with os-getConsoleOutput, through the REST API, on the in-process bus
 * with SQLite and on RabbitMQ with MariaDB.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeBackends } from '../harness/matrix.js'

type Fault = Record<string, { code: number; message: string }>
type FlavorBody = { flavor: Record<string, unknown> }

describeBackends('flavors and server actions over $transport + $db', ({ transport, db }) => {
  let cloud: Cloud
  let admin: ComputeClient
  let alice: ComputeClient
  let bob: ComputeClient

  beforeAll(async () => {
    cloud = await startCloud({ transport, db })
    admin = new ComputeClient(cloud.url, 'admin:admin', 'latest')
    alice = admin.as('alice:project-a', 'latest')
    bob = admin.as('bob:project-b', 'latest')
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  const fault = (code: number, message: string) => {
    const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest' }[
      code as 400
    ]
    return { [name!]: { code, message } }
  }

  it('creates a flavor with a generated uuid, shows and lists it, and deletes it (202)', async () => {
    const created = await admin.request<FlavorBody>('POST', '/v2.1/flavors', {
      flavor: { name: 'tiny2', ram: 256, vcpus: 1, disk: 1, id: null, description: 'small' },
    })
    expect(created.status).toBe(200)
    const id = created.body.flavor.id as string
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(created.body.flavor).toEqual({
      id,
      name: 'tiny2',
      ram: 256,
      disk: 1,
      swap: 0,
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'OS-FLV-DISABLED:disabled': false,
      vcpus: 1,
      'os-flavor-access:is_public': true,
      rxtx_factor: 1,
      links: [
        { rel: 'self', href: `${cloud.url}/v2.1/flavors/${id}` },
        { rel: 'bookmark', href: `${cloud.url}/flavors/${id}` },
      ],
      description: 'small',
      extra_specs: {},
    })
    // Everyone sees a public flavor at once (nothing is cached between requests).
    const shown = await alice.request<FlavorBody>('GET', `/v2.1/flavors/${id}`)
    expect(shown.body.flavor).toMatchObject({ id, name: 'tiny2', ram: 256 })
    const list = await alice.request<{ flavors: { name: string }[] }>('GET', '/v2.1/flavors')
    expect(list.body.flavors.map((f) => f.name)).toContain('tiny2')
    // Before 2.55 no description; before 2.75 no swap is "".
    const old = await alice.as('alice:project-a', '2.1').request<FlavorBody>('GET', `/v2.1/flavors/${id}`)
    expect(old.body.flavor.swap).toBe('')
    expect(old.body.flavor).not.toHaveProperty('description')

    const del = await admin.request('DELETE', `/v2.1/flavors/${id}`)
    expect(del.status).toBe(202)
    expect(del.body).toBeNull()
    const gone = await alice.request('GET', `/v2.1/flavors/${id}`)
    expect(gone.status).toBe(404)
    expect(gone.body).toEqual(fault(404, `Flavor ${id} could not be found.`))
    expect((await admin.request('DELETE', `/v2.1/flavors/${id}`)).status).toBe(404)
  })

  it('takes a given id (a number becomes its text) and refuses a taken name or id with 409', async () => {
    const created = await admin.request<FlavorBody>('POST', '/v2.1/flavors', {
      flavor: {
        name: 'custom',
        ram: '1024',
        vcpus: '2',
        disk: 10,
        id: 42,
        'OS-FLV-EXT-DATA:ephemeral': 5,
        swap: 512,
        rxtx_factor: 2.5,
        'os-flavor-access:is_public': 'true',
      },
    })
    expect(created.status).toBe(200)
    expect(created.body.flavor).toMatchObject({
      id: '42',
      ram: 1024,
      vcpus: 2,
      disk: 10,
      'OS-FLV-EXT-DATA:ephemeral': 5,
      swap: 512,
      rxtx_factor: 2.5,
    })
    const sameName = await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'custom', ram: 1, vcpus: 1, disk: 0 },
    })
    expect(sameName.status).toBe(409)
    expect(sameName.body).toEqual(fault(409, 'Flavor with name custom already exists.'))
    const sameId = await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'other', ram: 1, vcpus: 1, disk: 0, id: '42' },
    })
    expect(sameId.body).toEqual(fault(409, 'Flavor with ID 42 already exists.'))
    expect((await admin.request('DELETE', '/v2.1/flavors/42')).status).toBe(202)
  })

  it('validates the body in Nova words, before policy', async () => {
    const post = (flavor: unknown, client = admin) => client.request('POST', '/v2.1/flavors', flavor)
    const message = async (body: unknown, client = admin) => {
      const res = await post(body, client)
      expect(res.status).toBe(400)
      return (res.body as Fault).badRequest!.message
    }
    expect(await message({ flavor: { name: 'x', ram: 1, vcpus: 1 } })).toBe(
      "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1}. 'disk' is a required property",
    )
    expect(await message({ flavor: { name: 'x', ram: 0, vcpus: 1, disk: 1 } })).toBe(
      'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
    )
    expect(await message({ flavor: { name: 'x', ram: 'lots', vcpus: 1, disk: 1 } })).toBe(
      "Invalid input for field/attribute ram. Value: lots. 'lots' does not match '^[0-9]+$'",
    )
    expect(await message({ flavor: { name: 'x', ram: 1, vcpus: 1, disk: -1 } })).toBe(
      'Invalid input for field/attribute disk. Value: -1. -1 is less than the minimum of 0',
    )
    expect(await message({ flavor: { name: ' x', ram: 1, vcpus: 1, disk: 1 } })).toBe(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    )
    expect(await message({ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, id: ' a' } })).toBe(
      "Invalid input for field/attribute id. Value:  a. ' a' does not match '^(?! )[a-zA-Z0-9. _-]+(?<! )$'",
    )
    expect(await message({ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, rxtx_factor: 0 } })).toBe(
      'Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to the minimum of 0',
    )
    expect(
      await message({
        flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, 'os-flavor-access:is_public': 'maybe' },
      }),
    ).toMatch(
      /^Invalid input for field\/attribute os-flavor-access:is_public\. Value: maybe\. 'maybe' is not one of \[True, 'True'/,
    )
    // description only from 2.55
    expect(
      await message(
        { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, description: 'd' } },
        admin.as('admin:admin', '2.54'),
      ),
    ).toBe(
      "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1, 'disk': 1, 'description': 'd'}. Additional properties are not allowed ('description' was unexpected)",
    )
    expect(await message({ flavors: {} })).toBe("'flavor' is a required property")
    // A valid body from a non-admin: 403 with the policy's name.
    const denied = await post({ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1 } }, alice)
    expect(denied.status).toBe(403)
    expect(denied.body).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed."),
    )
    const delDenied = await alice.request('DELETE', '/v2.1/flavors/1')
    expect(delDenied.body).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed."),
    )
  })

  it('updates the description from 2.55 only', async () => {
    await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'desc', ram: 64, vcpus: 1, disk: 0, id: 'desc' },
    })
    const updated = await admin.request<FlavorBody>('PUT', '/v2.1/flavors/desc', {
      flavor: { description: 'now described' },
    })
    expect(updated.status).toBe(200)
    expect(updated.body.flavor).toMatchObject({ id: 'desc', description: 'now described' })
    expect((await alice.request<FlavorBody>('GET', '/v2.1/flavors/desc')).body.flavor.description).toBe(
      'now described',
    )
    const old = await admin.as('admin:admin', '2.54').request('PUT', '/v2.1/flavors/desc', {
      flavor: { description: 'x' },
    })
    expect(old.status).toBe(404)
    const noDesc = await admin.request('PUT', '/v2.1/flavors/desc', { flavor: {} })
    expect(noDesc.body).toEqual(
      fault(400, "Invalid input for field/attribute flavor. Value: {}. 'description' is a required property"),
    )
    const denied = await alice.request('PUT', '/v2.1/flavors/desc', { flavor: { description: null } })
    expect(denied.status).toBe(403)
    expect((await admin.request('PUT', '/v2.1/flavors/nope', { flavor: { description: null } })).status).toBe(
      404,
    )
    await admin.request('DELETE', '/v2.1/flavors/desc')
  })

  it('writes extra specs (admin) that every reader sees at once, and servers carry them', async () => {
    await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'specs', ram: 64, vcpus: 1, disk: 0, id: 'specs' },
    })
    const set = await admin.request('POST', '/v2.1/flavors/specs/os-extra_specs', {
      extra_specs: { 'hw:cpu_policy': 'shared', 'quota:cpu_shares': 1024 },
    })
    expect(set.status).toBe(200)
    expect(set.body).toEqual({ extra_specs: { 'hw:cpu_policy': 'shared', 'quota:cpu_shares': 1024 } })
    const read = await alice.request('GET', '/v2.1/flavors/specs/os-extra_specs')
    expect(read.body).toEqual({ extra_specs: { 'hw:cpu_policy': 'shared', 'quota:cpu_shares': '1024' } })
    const put = await admin.request('PUT', '/v2.1/flavors/specs/os-extra_specs/hw:cpu_policy', {
      'hw:cpu_policy': 'dedicated',
    })
    expect(put.body).toEqual({ 'hw:cpu_policy': 'dedicated' })
    expect((await alice.request('GET', '/v2.1/flavors/specs/os-extra_specs/hw:cpu_policy')).body).toEqual({
      'hw:cpu_policy': 'dedicated',
    })
    const detail = await alice.request<FlavorBody>('GET', '/v2.1/flavors/specs')
    expect(detail.body.flavor.extra_specs).toEqual({
      'hw:cpu_policy': 'dedicated',
      'quota:cpu_shares': '1024',
    })

    const mismatch = await admin.request('PUT', '/v2.1/flavors/specs/os-extra_specs/a', { b: '1' })
    expect(mismatch.body).toEqual(fault(400, 'Request body and URI mismatch'))
    const two = await admin.request('PUT', '/v2.1/flavors/specs/os-extra_specs/a', { a: '1', b: '2' })
    expect(two.body).toEqual(fault(400, "{'a': '1', 'b': '2'} has too many properties"))
    const badKey = await admin.request('POST', '/v2.1/flavors/specs/os-extra_specs', {
      extra_specs: { 'bad/key': 'x' },
    })
    expect(badKey.body).toEqual(
      fault(
        400,
        // jsonschema's wording when the schema has patternProperties (Nova's metadata).
        "Invalid input for field/attribute extra_specs. Value: {'bad/key': 'x'}. 'bad/key' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'",
      ),
    )
    const badValue = await admin.request('POST', '/v2.1/flavors/specs/os-extra_specs', {
      extra_specs: { k: true },
    })
    expect(badValue.body).toEqual(
      fault(400, "Invalid input for field/attribute k. Value: True. True is not of type 'string', 'number'"),
    )
    const denied = await alice.request('POST', '/v2.1/flavors/specs/os-extra_specs', {
      extra_specs: { a: 'b' },
    })
    expect(denied.body).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed."),
    )

    const del = await admin.request('DELETE', '/v2.1/flavors/specs/os-extra_specs/quota:cpu_shares')
    expect(del.status).toBe(200)
    const again = await admin.request('DELETE', '/v2.1/flavors/specs/os-extra_specs/quota:cpu_shares')
    expect(again.body).toEqual(fault(404, 'Flavor specs has no extra specs with key quota:cpu_shares.'))
    expect((await alice.request('GET', '/v2.1/flavors/specs/os-extra_specs')).body).toEqual({
      extra_specs: { 'hw:cpu_policy': 'dedicated' },
    })

    // A server booted from the flavor carries its extra specs as they were at boot.
    const id = await alice.createServer('with-specs', { flavorRef: 'specs' })
    const [server] = await admin.waitForStatus([id], 'ACTIVE')
    expect(server).toBeDefined()
    const shown = await alice.request<{ server: { flavor: Record<string, unknown> } }>(
      'GET',
      `/v2.1/servers/${id}`,
    )
    expect(shown.body.server.flavor).toMatchObject({
      original_name: 'specs',
      extra_specs: { 'hw:cpu_policy': 'dedicated' },
    })
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])
    // Deleting the flavor leaves its extra specs nowhere.
    expect((await admin.request('DELETE', '/v2.1/flavors/specs')).status).toBe(202)
    expect((await admin.request('GET', '/v2.1/flavors/specs/os-extra_specs')).status).toBe(404)
  })

  it('private flavors: visible and bootable only for projects given access', async () => {
    const created = await admin.request<FlavorBody>('POST', '/v2.1/flavors', {
      flavor: {
        name: 'secret',
        ram: 64,
        vcpus: 1,
        disk: 0,
        id: 'secret',
        'os-flavor-access:is_public': false,
      },
    })
    expect(created.body.flavor['os-flavor-access:is_public']).toBe(false)
    const names = async (client: ComputeClient, query = '') =>
      (
        await client.request<{ flavors: { name: string }[] }>('GET', `/v2.1/flavors${query}`)
      ).body.flavors.map((f) => f.name)
    expect(await names(alice)).not.toContain('secret')
    expect((await alice.request('GET', '/v2.1/flavors/secret')).status).toBe(404)
    // Admins see it with is_public=None or false, not in the default (public) list.
    expect(await names(admin)).not.toContain('secret')
    expect(await names(admin, '?is_public=None')).toContain('secret')
    expect(await names(admin, '?is_public=false')).toEqual(['secret'])
    // A non-admin's is_public is ignored.
    expect(await names(alice, '?is_public=false')).not.toContain('secret')
    const bootDenied = await alice.request('POST', '/v2.1/servers', {
      server: {
        name: 'x',
        flavorRef: 'secret',
        imageRef: '10d3215f-ed5b-4106-829a-25b4e7c6caeb',
        networks: 'none',
      },
    })
    expect(bootDenied.body).toEqual(fault(400, 'Flavor secret could not be found.'))

    const emptyAccess = await admin.request('GET', '/v2.1/flavors/secret/os-flavor-access')
    expect(emptyAccess.body).toEqual({ flavor_access: [] })
    const added = await admin.request('POST', '/v2.1/flavors/secret/action', {
      addTenantAccess: { tenant: 'project-a' },
    })
    expect(added.status).toBe(200)
    expect(added.body).toEqual({ flavor_access: [{ flavor_id: 'secret', tenant_id: 'project-a' }] })
    const dup = await admin.request('POST', '/v2.1/flavors/secret/action', {
      addTenantAccess: { tenant: 'project-a' },
    })
    expect(dup.status).toBe(409)
    expect((dup.body as Fault).conflictingRequest!.message).toMatch(
      /^Flavor access already exists for flavor \d+ and project project-a combination\.$/,
    )
    // Project A sees and boots it at once; project B still does not see it.
    expect(await names(alice)).toContain('secret')
    expect((await alice.request('GET', '/v2.1/flavors/secret')).status).toBe(200)
    expect(await names(bob)).not.toContain('secret')
    expect((await bob.request('GET', '/v2.1/flavors/secret')).status).toBe(404)
    const id = await alice.createServer('private', { flavorRef: 'secret' })
    await admin.waitForStatus([id], 'ACTIVE')
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])

    const list = await admin.request('GET', '/v2.1/flavors/secret/os-flavor-access')
    expect(list.body).toEqual({ flavor_access: [{ flavor_id: 'secret', tenant_id: 'project-a' }] })
    const removed = await admin.request('POST', '/v2.1/flavors/secret/action', {
      removeTenantAccess: { tenant: 'project-a' },
    })
    expect(removed.body).toEqual({ flavor_access: [] })
    expect(await names(alice)).not.toContain('secret')
    const notThere = await admin.request('POST', '/v2.1/flavors/secret/action', {
      removeTenantAccess: { tenant: 'project-a' },
    })
    expect(notThere.status).toBe(404)
    expect((notThere.body as Fault).itemNotFound!.message).toMatch(
      /^Flavor access not found for \d+ \/ project-a combination\.$/,
    )

    // Public flavors have no access list, and (from 2.7) take no access.
    expect((await admin.request('GET', '/v2.1/flavors/1/os-flavor-access')).body).toEqual(
      fault(404, 'Access list not available for public flavors.'),
    )
    expect(
      (await admin.request('POST', '/v2.1/flavors/1/action', { addTenantAccess: { tenant: 'project-a' } }))
        .body,
    ).toEqual(fault(409, 'Can not add access to a public flavor.'))
    // Admin only.
    expect((await alice.request('GET', '/v2.1/flavors/secret/os-flavor-access')).body).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-flavor-access to be performed."),
    )
    expect(
      (
        await alice.request('POST', '/v2.1/flavors/secret/action', {
          addTenantAccess: { tenant: 'project-a' },
        })
      ).body,
    ).toEqual(
      fault(403, "Policy doesn't allow os_compute_api:os-flavor-access:add_tenant_access to be performed."),
    )
    // The action route: one key, a known action, a valid body.
    expect((await admin.request('POST', '/v2.1/flavors/secret/action', { nope: {} })).body).toEqual(
      fault(400, 'There is no such action: nope'),
    )
    expect(
      (await admin.request('POST', '/v2.1/flavors/secret/action', { addTenantAccess: {} })).body,
    ).toEqual(
      fault(
        400,
        "Invalid input for field/attribute addTenantAccess. Value: {}. 'tenant' is a required property",
      ),
    )
    await admin.request('DELETE', '/v2.1/flavors/secret')
  })

  it('pages flavor lists with limit and marker, and filters by minRam/minDisk', async () => {
    const page1 = await alice.request<{ flavors: { id: string }[]; flavors_links?: { href: string }[] }>(
      'GET',
      '/v2.1/flavors?limit=2',
    )
    expect(page1.body.flavors.map((f) => f.id)).toEqual(['1', '2'])
    expect(page1.body.flavors_links?.[0]?.href).toBe(`${cloud.url}/v2.1/flavors?limit=2&marker=2`)
    const page2 = await alice.request<{ flavors: { id: string }[] }>('GET', '/v2.1/flavors?limit=2&marker=2')
    expect(page2.body.flavors.map((f) => f.id)).toEqual(['3', '4'])
    const big = await alice.request<{ flavors: { id: string }[] }>(
      'GET',
      '/v2.1/flavors/detail?minRam=4096&minDisk=80',
    )
    expect(big.body.flavors.map((f) => f.id)).toEqual(['4', '5'])
    const desc = await alice.request<{ flavors: { id: string }[] }>(
      'GET',
      '/v2.1/flavors?sort_key=memory_mb&sort_dir=desc',
    )
    expect(desc.body.flavors.map((f) => f.id)).toEqual(['5', '4', '3', '2', '1'])
    expect((await alice.request('GET', '/v2.1/flavors?marker=nope')).body).toEqual(
      fault(400, 'marker [nope] not found'),
    )
    expect((await alice.request('GET', '/v2.1/flavors?minRam=big')).body).toEqual(
      fault(400, 'Invalid minRam filter [big]'),
    )
  })

  it('os-getConsoleOutput: the compute host reads the console, tailed to length', async () => {
    const id = await alice.createServer('console')
    await admin.waitForStatus([id], 'ACTIVE')
    const action = (body: unknown, client = alice) =>
      client.request('POST', `/v2.1/servers/${id}/action`, body)
    const full = await action({ 'os-getConsoleOutput': {} })
    expect(full.status).toBe(200)
    expect(full.body).toEqual({ output: `FAKE CONSOLE OUTPUT of ${id}\nANOTHER\nLAST LINE\n` })
    expect((await action({ 'os-getConsoleOutput': { length: null } })).body).toEqual(full.body)
    // Nova's _tail_log: the last N newline-separated pieces (the log ends with a newline).
    expect((await action({ 'os-getConsoleOutput': { length: 3 } })).body).toEqual({
      output: 'ANOTHER\nLAST LINE\n',
    })
    expect((await action({ 'os-getConsoleOutput': { length: '2' } })).body).toEqual({ output: 'LAST LINE\n' })
    expect((await action({ 'os-getConsoleOutput': { length: 0 } })).body).toEqual({ output: '' })
    // An admin reads any project's console.
    expect((await action({ 'os-getConsoleOutput': {} }, admin)).body).toEqual(full.body)

    expect((await action({ 'os-getConsoleOutput': { length: -2 } })).body).toEqual(
      fault(400, 'Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1'),
    )
    expect((await action({ 'os-getConsoleOutput': { length: 'x' } })).body).toEqual(
      fault(400, "Invalid input for field/attribute length. Value: x. 'x' does not match '^-?[0-9]+$'"),
    )
    expect((await action({ 'os-getConsoleOutput': { lines: 1 } })).body).toEqual(
      fault(
        400,
        "Invalid input for field/attribute os-getConsoleOutput. Value: {'lines': 1}. Additional properties are not allowed ('lines' was unexpected)",
      ),
    )
    // The action route itself.
    expect((await action({ 'os-noSuchThing': null })).body).toEqual(
      fault(400, 'There is no such action: os-noSuchThing'),
    )
    expect((await action({ a: 1, b: 2 })).body).toEqual(fault(400, 'Malformed request body'))
    expect((await action('')).body).toEqual(fault(400, 'Malformed request body'))
    // Another project's server does not exist for bob; an unknown one for anybody.
    expect((await action({ 'os-getConsoleOutput': {} }, bob)).body).toEqual(
      fault(404, `Instance ${id} could not be found.`),
    )
    const unknown = '6b1f4b5e-9d0c-4d0c-9a55-1f0b6e3c1f00'
    expect(
      (await admin.request('POST', `/v2.1/servers/${unknown}/action`, { 'os-getConsoleOutput': {} })).body,
    ).toEqual(fault(404, `Instance ${unknown} could not be found.`))
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])
  })

  it('os-getConsoleOutput of a server without a host is 409 (not ready)', async () => {
    // No host has room: the server never gets one, so it has none to read a console from.
    await admin.request('POST', '/v2.1/flavors', {
      flavor: { name: 'huge', ram: 100_000_000, vcpus: 1, disk: 0, id: 'huge' },
    })
    const id = await alice.createServer('nohost', { flavorRef: 'huge' })
    await admin.waitForStatus([id], 'ERROR')
    const res = await alice.request('POST', `/v2.1/servers/${id}/action`, { 'os-getConsoleOutput': {} })
    expect(res.status).toBe(409)
    expect(res.body).toEqual(fault(409, `Instance ${id} is not ready`))
    await alice.request('DELETE', `/v2.1/servers/${id}`)
    await alice.waitForGone([id])
    await admin.request('DELETE', '/v2.1/flavors/huge')
  })
})
