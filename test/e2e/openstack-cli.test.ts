/**
 * Acceptance test of issue 4: the stock `openstack` CLI, given only the `OS_*` variables of the
 * all-in-one's openrc, works unchanged against tsnova's compute, identity and image APIs. Every
 * command's output is checked, not only its exit code.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AllInOne, type CliResult, type OsEnv, openstack, requireOpenstackCli } from './cli.js'

const CLI_TIMEOUT = 180_000

describe('the openstack CLI against the all-in-one', () => {
  let aio: AllInOne
  let admin: OsEnv
  let home: string
  const run = (env: OsEnv, ...args: string[]) => openstack(env, args, home)
  /** Run, expect success, parse `-f json` output (after any progress output of `--wait`). */
  const json = async <T = Record<string, unknown>>(env: OsEnv, ...args: string[]): Promise<T> => {
    const res = await run(env, ...args, '-f', 'json')
    expect(res.code, `openstack ${args.join(' ')}: ${res.stderr}`).toBe(0)
    const start = res.stdout.search(/[[{]/)
    return JSON.parse(res.stdout.slice(start)) as T
  }
  const fails = async (res: CliResult, pattern: RegExp) => {
    expect(res.code).not.toBe(0)
    expect(res.stderr).toMatch(pattern)
  }

  beforeAll(async () => {
    requireOpenstackCli()
    home = mkdtempSync(path.join(tmpdir(), 'tsnova-e2e-home-'))
    aio = await AllInOne.start()
    admin = aio.adminEnv()
  }, 120_000)

  afterAll(async () => {
    await aio?.stop()
  })

  it('writes an openrc whose variables log the admin in', () => {
    expect(admin).toMatchObject({
      OS_AUTH_URL: `http://127.0.0.1:${aio.ports.identity}/v3`,
      OS_USERNAME: 'admin',
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
    })
    expect(admin.OS_PASSWORD.length).toBeGreaterThanOrEqual(12)
    // The password is in the 0600 file, never in the output.
    expect(aio.output()).not.toContain(admin.OS_PASSWORD)
  })

  it(
    'token issue, and a 401 for a wrong password',
    async () => {
      const token = await json<{ id: string; project_id: string; user_id: string; expires: string }>(
        admin,
        'token',
        'issue',
      )
      expect(token.id.length).toBeGreaterThan(40)
      expect(token.project_id).toMatch(/^[0-9a-f]{32}$/)
      expect(token.user_id).toMatch(/^[0-9a-f]{32}$/)
      expect(Date.parse(token.expires) - Date.now()).toBeGreaterThan(3000_000)
      await fails(
        await run({ ...admin, OS_PASSWORD: 'wrong' }, 'token', 'issue'),
        /The request you have made requires authentication\. \(HTTP 401\)/,
      )
    },
    CLI_TIMEOUT,
  )

  it(
    'catalog list: identity, compute and image on the ports really bound',
    async () => {
      const catalog = await json<
        { Name: string; Type: string; Endpoints: { interface: string; url: string }[] }[]
      >(admin, 'catalog', 'list')
      const byType = Object.fromEntries(catalog.map((c) => [c.Type, c]))
      expect(Object.keys(byType).sort()).toEqual(['compute', 'identity', 'image'])
      const urls = (type: string) => new Set(byType[type]!.Endpoints.map((e) => e.url))
      expect(urls('identity')).toEqual(new Set([`http://127.0.0.1:${aio.ports.identity}/v3/`]))
      expect(urls('compute')).toEqual(new Set([`http://127.0.0.1:${aio.ports.compute}/v2.1`]))
      expect(urls('image')).toEqual(new Set([`http://127.0.0.1:${aio.ports.image}`]))
      expect(byType.compute!.Endpoints.map((e) => e.interface).sort()).toEqual([
        'admin',
        'internal',
        'public',
      ])
    },
    CLI_TIMEOUT,
  )

  it(
    'flavor list and flavor show',
    async () => {
      const flavors = await json<{ Name: string; RAM: number; VCPUs: number }[]>(admin, 'flavor', 'list')
      expect(flavors.map((f) => f.Name)).toEqual([
        'm1.tiny',
        'm1.small',
        'm1.medium',
        'm1.large',
        'm1.xlarge',
      ])
      const tiny = await json(admin, 'flavor', 'show', 'm1.tiny')
      expect(tiny).toMatchObject({ id: '1', name: 'm1.tiny', ram: 512, disk: 1, vcpus: 1 })
    },
    CLI_TIMEOUT,
  )

  it(
    'image list, image create --file, image show, image delete',
    async () => {
      const images = await json<{ Name: string; Status: string }[]>(admin, 'image', 'list')
      expect(images).toContainEqual(expect.objectContaining({ Name: 'tsnova-tiny', Status: 'active' }))

      const file = path.join(home, 'disk.raw')
      const data = randomBytes(300_000)
      writeFileSync(file, data)
      const created = await json(
        admin,
        'image',
        'create',
        '--file',
        file,
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--property',
        'hw_disk_bus=virtio',
        'e2e-image',
      )
      expect(created).toMatchObject({ name: 'e2e-image', disk_format: 'raw', container_format: 'bare' })
      const shown = await json<Record<string, unknown> & { properties: Record<string, unknown> }>(
        admin,
        'image',
        'show',
        'e2e-image',
      )
      expect(shown).toMatchObject({
        id: created.id,
        status: 'active',
        size: 300_000,
        checksum: createHash('md5').update(data).digest('hex'),
        visibility: 'shared',
      })
      expect(shown.properties).toMatchObject({
        hw_disk_bus: 'virtio',
        os_hash_algo: 'sha512',
        os_hash_value: createHash('sha512').update(data).digest('hex'),
      })
      const del = await run(admin, 'image', 'delete', 'e2e-image')
      expect(del.code, del.stderr).toBe(0)
      await fails(await run(admin, 'image', 'show', 'e2e-image'), /No Image found for e2e-image/)
    },
    CLI_TIMEOUT,
  )

  it(
    'server create --wait (2.latest and 2.37), server list, server show',
    async () => {
      const common = [
        'server',
        'create',
        '--flavor',
        'm1.tiny',
        '--image',
        'tsnova-tiny',
        '--nic',
        'none',
        '--wait',
      ]
      const latest = await json(admin, '--os-compute-api-version', '2.latest', ...common, 'e2e-vm1')
      expect(latest).toMatchObject({
        name: 'e2e-vm1',
        status: 'ACTIVE',
        'OS-EXT-SRV-ATTR:host': 'e2e-host',
        'OS-EXT-STS:vm_state': 'active',
        image: 'tsnova-tiny (10d3215f-ed5b-4106-829a-25b4e7c6caeb)',
      })
      const v237 = await json(admin, '--os-compute-api-version', '2.37', ...common, 'e2e-vm2')
      expect(v237).toMatchObject({ name: 'e2e-vm2', status: 'ACTIVE', flavor: 'm1.tiny (1)' })

      const list = await json<{ Name: string; Status: string; Image: string; Flavor: string }[]>(
        admin,
        'server',
        'list',
      )
      expect(list.map((s) => s.Name).sort()).toEqual(['e2e-vm1', 'e2e-vm2'])
      for (const s of list)
        expect(s).toMatchObject({ Status: 'ACTIVE', Image: 'tsnova-tiny', Flavor: 'm1.tiny' })
      const shown = await json(admin, 'server', 'show', 'e2e-vm1')
      expect(shown).toMatchObject({
        id: latest.id,
        name: 'e2e-vm1',
        status: 'ACTIVE',
        project_id: expect.any(String),
      })
      // An unknown image: the client looks it up in the image API (by id, then by name) first.
      await fails(
        await run(admin, '--os-compute-api-version', '2.37', ...common.slice(0, 5), 'no-such-image', 'x'),
        /No Image found for no-such-image/,
      )
    },
    CLI_TIMEOUT,
  )

  it(
    'project create, user create, role add; a member of another project sees none of them and gets 403s',
    async () => {
      const project = await json(admin, 'project', 'create', '--description', 'e2e', 'e2e-demo')
      expect(project).toMatchObject({ name: 'e2e-demo', domain_id: 'default', enabled: true })
      const user = await json(
        admin,
        'user',
        'create',
        '--project',
        'e2e-demo',
        '--password',
        'pw-bob',
        'e2e-bob',
      )
      expect(user).toMatchObject({ name: 'e2e-bob', default_project_id: project.id, domain_id: 'default' })
      const add = await run(admin, 'role', 'add', '--project', 'e2e-demo', '--user', 'e2e-bob', 'member')
      expect(add.code, add.stderr).toBe(0)
      const assignments = await json<{ Role: string; User: string; Project: string }[]>(
        admin,
        'role',
        'assignment',
        'list',
        '--user',
        'e2e-bob',
        '--names',
      )
      expect(assignments).toEqual([
        expect.objectContaining({ Role: 'member', User: 'e2e-bob@Default', Project: 'e2e-demo@Default' }),
      ])

      const bob: OsEnv = {
        ...admin,
        OS_USERNAME: 'e2e-bob',
        OS_PASSWORD: 'pw-bob',
        OS_PROJECT_NAME: 'e2e-demo',
      }
      const bobToken = await json(bob, 'token', 'issue')
      expect(bobToken.project_id).toBe(project.id)
      expect(await json(bob, 'server', 'list')).toEqual([])
      expect(await json(bob, 'server', 'list', '--all-projects')).toEqual([])
      await fails(
        await run(bob, 'server', 'show', 'e2e-vm1'),
        /No server with a name or ID of 'e2e-vm1' exists/,
      )
      await fails(await run(bob, 'project', 'create', 'evil'), /identity:create_project\. \(HTTP 403\)/)
      await fails(await run(bob, 'user', 'list'), /identity:list_users\. \(HTTP 403\)/)
      await fails(await run(bob, 'compute', 'service', 'list'), /403/)

      const own = await json(
        bob,
        '--os-compute-api-version',
        '2.37',
        'server',
        'create',
        '--flavor',
        'm1.tiny',
        '--image',
        'tsnova-tiny',
        '--nic',
        'none',
        '--wait',
        'e2e-bob-vm',
      )
      expect(own).toMatchObject({ name: 'e2e-bob-vm', status: 'ACTIVE', project_id: project.id })
      expect((await json<{ Name: string }[]>(bob, 'server', 'list')).map((s) => s.Name)).toEqual([
        'e2e-bob-vm',
      ])
      const all = await json<{ Name: string }[]>(admin, 'server', 'list', '--all-projects')
      expect(all.map((s) => s.Name).sort()).toEqual(['e2e-bob-vm', 'e2e-vm1', 'e2e-vm2'])
      const del = await run(bob, 'server', 'delete', '--wait', 'e2e-bob-vm')
      expect(del.code, del.stderr).toBe(0)
    },
    CLI_TIMEOUT,
  )

  it(
    'server delete --wait',
    async () => {
      const del = await run(admin, 'server', 'delete', '--wait', 'e2e-vm1', 'e2e-vm2')
      expect(del.code, del.stderr).toBe(0)
      expect(await json(admin, 'server', 'list', '--all-projects')).toEqual([])
    },
    CLI_TIMEOUT,
  )
})
