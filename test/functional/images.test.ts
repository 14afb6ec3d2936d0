/**
 * The built-in image service (Glance v2 subset): version discovery, create/upload/download with
 * checksums, listing with filters and pages, JSON-patch, visibility and ownership rules, and the
 * compute API's checks of `imageRef` against it.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ListeningServer, startImage } from '../../src/cmd/identity-image.js'
import { ComputeClient } from '../harness/client.js'
import { type Cloud, startCloud } from '../harness/cloud.js'
import { describeDatabases } from '../harness/matrix.js'

const PLACEHOLDER = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'

interface Res<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
  text: string
}

describeDatabases('images on $db', ({ db }) => {
  let cloud: Cloud
  let glance: ListeningServer

  const call = async <T = Record<string, unknown>>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Res<T>> => {
    const res = await fetch(`${glance.url}${path}`, {
      method,
      headers: {
        'x-auth-token': token,
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      body:
        body === undefined ? undefined : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
    })
    const text = await res.text()
    let parsed: unknown = null
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = null
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text }
  }
  const create = (token: string, attrs: Record<string, unknown>) =>
    call<Record<string, unknown> & { id: string }>(token, 'POST', '/v2/images', attrs)
  const patch = (token: string, id: string, ops: unknown[]) =>
    call<Record<string, unknown>>(
      token,
      'PATCH',
      `/v2/images/${id}`,
      ops,
      'application/openstack-images-v2.1-json-patch',
    )

  beforeAll(async () => {
    cloud = await startCloud({ transport: 'memory', db })
    glance = await startImage(cloud.runtime, { host: '127.0.0.1', port: 0 })
  }, 60_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it('lists its versions with a 300 at the root, without a token', async () => {
    const res = await fetch(`${glance.url}/`)
    expect(res.status).toBe(300)
    const body = (await res.json()) as {
      versions: { id: string; status: string; links: { href: string }[] }[]
    }
    expect(body.versions[0]).toEqual({
      id: 'v2.16',
      status: 'CURRENT',
      links: [{ rel: 'self', href: `${glance.url}/v2/` }],
    })
    expect(body.versions.map((v) => v.id)).toContain('v2.0')
    expect((await fetch(`${glance.url}/v2/images`)).status).toBe(401)
  })

  it('creates, uploads, shows and downloads an image with its checksums', async () => {
    const created = await create('alice:project-a', {
      name: 'alpine',
      disk_format: 'qcow2',
      container_format: 'bare',
      min_ram: 128,
      hw_disk_bus: 'virtio',
      tags: ['small'],
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'alpine',
      status: 'queued',
      visibility: 'shared',
      owner: 'project-a',
      size: null,
      checksum: null,
      min_ram: 128,
      min_disk: 0,
      protected: false,
      hw_disk_bus: 'virtio',
      tags: ['small'],
      self: `/v2/images/${created.body.id}`,
      file: `/v2/images/${created.body.id}/file`,
      schema: '/v2/schemas/image',
    })
    const none = await fetch(`${glance.url}/v2/images/${created.body.id}/file`, {
      headers: { 'x-auth-token': 'alice:project-a' },
    })
    expect(none.status).toBe(204)

    const data = Buffer.alloc(200_000, 7)
    const put = await call(
      'alice:project-a',
      'PUT',
      `/v2/images/${created.body.id}/file`,
      data,
      'application/octet-stream',
    )
    expect(put.status).toBe(204)
    const again = await call(
      'alice:project-a',
      'PUT',
      `/v2/images/${created.body.id}/file`,
      data,
      'application/octet-stream',
    )
    expect(again.status).toBe(409)

    const shown = await call<Record<string, unknown>>(
      'alice:project-a',
      'GET',
      `/v2/images/${created.body.id}`,
    )
    expect(shown.body).toMatchObject({
      status: 'active',
      size: 200_000,
      checksum: createHash('md5').update(data).digest('hex'),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(data).digest('hex'),
    })
    const file = await fetch(`${glance.url}/v2/images/${created.body.id}/file`, {
      headers: { 'x-auth-token': 'alice:project-a' },
    })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-md5')).toBe(shown.body.checksum)
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true)
  })

  it('answers 404 for unknown and non-UUID ids, and refuses read-only attributes', async () => {
    const byName = await call('alice:project-a', 'GET', '/v2/images/alpine')
    expect(byName.status).toBe(404)
    expect(byName.text).toContain('No image found with ID alpine')
    expect(
      (await call('alice:project-a', 'GET', '/v2/images/4b7a2bd6-5c3d-4b6e-9d55-3f0f1b0b0b0b')).status,
    ).toBe(404)
    const ro = await create('alice:project-a', { name: 'x', status: 'active' })
    expect(ro.status).toBe(403)
    expect(ro.text).toContain("Attribute 'status' is read-only.")
    const badFormat = await create('alice:project-a', { name: 'x', disk_format: 'floppy' })
    expect(badFormat.status).toBe(400)
    const publicByMember = await create('alice:project-a', { name: 'x', visibility: 'public' })
    expect(publicByMember.status).toBe(403)
  })

  it('keeps private and shared images to their owner and members; lists community only on request', async () => {
    const priv = await create('alice:project-a', { name: 'a-private', visibility: 'private' })
    const shared = await create('alice:project-a', { name: 'a-shared', visibility: 'shared' })
    const community = await create('alice:project-a', { name: 'a-community', visibility: 'community' })
    const pub = await create('admin:admin', { name: 'everyone', visibility: 'public' })
    expect(pub.status).toBe(201)

    const names = async (token: string, query = '') =>
      (await call<{ images: { name: string }[] }>(token, 'GET', `/v2/images${query}`)).body.images
        .map((i) => i.name)
        .sort()
    expect(await names('bob:project-b')).toEqual(['everyone', 'tsnova-tiny'])
    expect(await names('bob:project-b', '?visibility=community')).toEqual(['a-community'])
    expect(await names('alice:project-a')).toEqual(
      expect.arrayContaining(['a-community', 'a-private', 'a-shared', 'everyone', 'tsnova-tiny']),
    )
    expect((await call('bob:project-b', 'GET', `/v2/images/${priv.body.id}`)).status).toBe(404)
    expect((await call('bob:project-b', 'GET', `/v2/images/${shared.body.id}`)).status).toBe(404)
    expect((await call('bob:project-b', 'GET', `/v2/images/${community.body.id}`)).status).toBe(200)
    expect((await call('admin:admin', 'GET', `/v2/images/${priv.body.id}`)).status).toBe(200)

    // Sharing: the owner adds project-b; it sees the image, and lists it once it accepted.
    const add = await call('alice:project-a', 'POST', `/v2/images/${shared.body.id}/members`, {
      member: 'project-b',
    })
    expect(add.status).toBe(200)
    expect(add.body).toMatchObject({ member_id: 'project-b', status: 'pending' })
    expect((await call('bob:project-b', 'GET', `/v2/images/${shared.body.id}`)).status).toBe(200)
    expect(await names('bob:project-b')).not.toContain('a-shared')
    const accept = await call('bob:project-b', 'PUT', `/v2/images/${shared.body.id}/members/project-b`, {
      status: 'accepted',
    })
    expect(accept.status).toBe(200)
    expect(await names('bob:project-b')).toContain('a-shared')

    // Others may see but not change or delete.
    expect(
      (await patch('bob:project-b', pub.body.id, [{ op: 'replace', path: '/name', value: 'mine' }])).status,
    ).toBe(403)
    expect((await call('bob:project-b', 'DELETE', `/v2/images/${community.body.id}`)).status).toBe(403)
  })

  it('filters, sorts and pages the list with a next link', async () => {
    for (let i = 0; i < 5; i++) await create('carol:project-c', { name: `page-${i}`, visibility: 'private' })
    const first = await call<{ images: { name: string }[]; next?: string }>(
      'carol:project-c',
      'GET',
      '/v2/images?owner=project-c&limit=2&sort_key=name&sort_dir=asc',
    )
    expect(first.body.images.map((i) => i.name)).toEqual(['page-0', 'page-1'])
    expect(first.body.next).toMatch(/^\/v2\/images\?.*marker=/)
    const seen = [...first.body.images.map((i) => i.name)]
    let next = first.body.next
    while (next) {
      const page = await call<{ images: { name: string }[]; next?: string }>('carol:project-c', 'GET', next)
      seen.push(...page.body.images.map((i) => i.name))
      next = page.body.next
    }
    expect(seen).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4'])
    const byName = await call<{ images: { name: string }[] }>(
      'carol:project-c',
      'GET',
      '/v2/images?name=page-3',
    )
    expect(byName.body.images.map((i) => i.name)).toEqual(['page-3'])
    const queued = await call<{ images: unknown[] }>(
      'carol:project-c',
      'GET',
      '/v2/images?owner=project-c&status=active',
    )
    expect(queued.body.images).toEqual([])
  })

  it('applies JSON patches to attributes, properties and tags; protects from deletion', async () => {
    const img = await create('alice:project-a', { name: 'patchme', os_distro: 'debian' })
    const res = await patch('alice:project-a', img.body.id, [
      { op: 'replace', path: '/name', value: 'patched' },
      { op: 'add', path: '/hw_machine_type', value: 'q35' },
      { op: 'remove', path: '/os_distro' },
      { op: 'add', path: '/tags/-', value: 'blue' },
      { op: 'replace', path: '/protected', value: true },
      { op: 'replace', path: '/min_disk', value: 2 },
    ])
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: 'patched', hw_machine_type: 'q35', protected: true, min_disk: 2 })
    expect(res.body).not.toHaveProperty('os_distro')
    expect(
      (await patch('alice:project-a', img.body.id, [{ op: 'replace', path: '/status', value: 'active' }]))
        .status,
    ).toBe(403)
    const del = await call('alice:project-a', 'DELETE', `/v2/images/${img.body.id}`)
    expect(del.status).toBe(403)
    await patch('alice:project-a', img.body.id, [{ op: 'replace', path: '/protected', value: false }])
    expect((await call('alice:project-a', 'DELETE', `/v2/images/${img.body.id}`)).status).toBe(204)
    expect((await call('alice:project-a', 'GET', `/v2/images/${img.body.id}`)).status).toBe(404)
  })

  it('serves the image schemas', async () => {
    const schema = await call<{ name: string; properties: Record<string, unknown> }>(
      'alice:project-a',
      'GET',
      '/v2/schemas/image',
    )
    expect(schema.body.name).toBe('image')
    expect(Object.keys(schema.body.properties)).toEqual(
      expect.arrayContaining(['id', 'name', 'visibility', 'os_hash_value']),
    )
    expect((await call('alice:project-a', 'GET', '/v2/schemas/images')).status).toBe(200)
  })

  it('proxies images in the compute API below microversion 2.36, as Nova does', async () => {
    const alice = new ComputeClient(cloud.url, 'alice:project-a', '2.35')
    const list = await alice.request<{ images: { id: string; name: string; links: unknown[] }[] }>(
      'GET',
      '/v2.1/images',
    )
    expect(list.status).toBe(200)
    expect(list.body.images).toContainEqual({
      id: PLACEHOLDER,
      name: 'tsnova-tiny',
      links: [
        { rel: 'self', href: `${cloud.url}/v2.1/images/${PLACEHOLDER}` },
        { rel: 'bookmark', href: `${cloud.url}/images/${PLACEHOLDER}` },
      ],
    })
    const one = await alice.request<{ image: Record<string, unknown> }>('GET', `/v2.1/images/${PLACEHOLDER}`)
    expect(one.body.image).toMatchObject({
      id: PLACEHOLDER,
      status: 'ACTIVE',
      progress: 100,
      minRam: 0,
      minDisk: 0,
      'OS-EXT-IMG-SIZE:size': 65536,
      metadata: { os_distro: 'tsnova' },
    })
    const detail = await alice.request<{ images: { name: string }[] }>(
      'GET',
      '/v2.1/images/detail?name=tsnova-tiny',
    )
    expect(detail.body.images.map((i) => i.name)).toEqual(['tsnova-tiny'])
    expect((await alice.request('GET', '/v2.1/images/nope')).body).toEqual({
      itemNotFound: { code: 404, message: 'Image not found.' },
    })
    expect((await alice.request('DELETE', `/v2.1/images/${PLACEHOLDER}`)).status).toBe(403)
    expect((await alice.as('alice:project-a', '2.36').request('GET', '/v2.1/images')).status).toBe(404)
  })

  it('makes the compute API check imageRef: known, visible, active, and fitting the flavor', async () => {
    const alice = new ComputeClient(cloud.url, 'alice:project-a')
    const bob = alice.as('bob:project-b')
    const boot = (client: ComputeClient, imageRef: string, flavorRef = '1') =>
      client.request<{ badRequest?: { message: string } }>('POST', '/v2.1/servers', {
        server: { name: 'img-check', flavorRef, imageRef, networks: 'none' },
      })
    const unknown = '4b7a2bd6-5c3d-4b6e-9d55-3f0f1b0b0b0b'
    expect((await boot(alice, unknown)).body).toEqual({
      badRequest: { code: 400, message: `Image ${unknown} could not be found.` },
    })
    const upload = async (attrs: Record<string, unknown>, bytes = 1024) => {
      const img = await create('alice:project-a', { disk_format: 'raw', container_format: 'bare', ...attrs })
      await call(
        'alice:project-a',
        'PUT',
        `/v2/images/${img.body.id}/file`,
        Buffer.alloc(bytes),
        'application/octet-stream',
      )
      return img.body.id
    }
    const priv = await upload({ name: 'priv', visibility: 'private' })
    expect((await boot(bob, priv)).body.badRequest?.message).toBe(`Image ${priv} could not be found.`)
    const queued = (await create('alice:project-a', { name: 'empty' })).body.id
    expect((await boot(alice, queued)).body.badRequest?.message).toBe(`Image ${queued} is not active.`)
    const big = await upload({ name: 'needs-ram', min_ram: 1024 })
    expect((await boot(alice, big)).body.badRequest?.message).toBe(
      "Flavor's memory is too small for requested image.",
    )
    const disk = await upload({ name: 'needs-disk', min_disk: 5 })
    expect((await boot(alice, disk)).body.badRequest?.message).toBe(
      `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${1024 ** 3} bytes, minimum size is ${5 * 1024 ** 3} bytes.`,
    )
    // m1.small (20 GB) fits both.
    expect((await boot(alice, disk, '2')).status).toBe(202)
    const ok = await boot(alice, priv)
    expect(ok.status).toBe(202)
    expect((await boot(alice, PLACEHOLDER)).status).toBe(202)
  })

  it('refuses what would overflow a column with 400 in Glance words (members, tags, names)', async () => {
    const img = await create('alice:project-a', { name: 'sized', visibility: 'shared' })
    expect(img.status).toBe(201)
    const member = 'm'.repeat(300)
    const longMember = await call('alice:project-a', 'POST', `/v2/images/${img.body.id}/members`, { member })
    expect(longMember.status).toBe(400)
    expect(longMember.text).toContain(
      `Provided object does not match schema 'member': '${member}' is too long`,
    )
    const tag = 't'.repeat(256)
    const longTag = await call('alice:project-a', 'PUT', `/v2/images/${img.body.id}/tags/${tag}`)
    expect(longTag.status).toBe(400)
    expect(longTag.text).toContain(`Provided object does not match schema 'image': '${tag}' is too long`)
    const longName = await create('alice:project-a', { name: 'n'.repeat(256) })
    expect(longName.status).toBe(400)
    expect(longName.text).toContain("Provided object does not match schema 'image': 'nnn")
    const badFormat = await create('alice:project-a', { name: 'x', min_ram: 'lots' })
    expect(badFormat.text).toContain(
      "Provided object does not match schema 'image': 'lots' is not of type 'integer'",
    )
    const longKey = await create('alice:project-a', { ['k'.repeat(256)]: 'v' })
    expect(longKey.text).toContain('Custom property should not be greater than 255 characters.')
    expect((await call('alice:project-a', 'DELETE', `/v2/images/${img.body.id}`)).status).toBe(204)
  })
})
