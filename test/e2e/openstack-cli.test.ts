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
import {
  AllInOne,
  type CliResult,
  Distributed,
  nova,
  type OsEnv,
  openstack,
  requireOpenstackCli,
} from './cli.js'

const CLI_TIMEOUT = 180_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The rows of a pretty table (novaclient's output), as objects keyed by the header. */
function tableRows(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'))
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim())
  const [header, ...rows] = lines.map(cells)
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])))
}

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
    'flavor create, flavor show, flavor delete; a private flavor with access and properties',
    async () => {
      const created = await json(
        admin,
        'flavor',
        'create',
        '--ram',
        '256',
        '--disk',
        '1',
        '--vcpus',
        '1',
        'tiny2',
      )
      expect(created).toMatchObject({
        name: 'tiny2',
        ram: 256,
        disk: 1,
        vcpus: 1,
        'os-flavor-access:is_public': true,
        'OS-FLV-EXT-DATA:ephemeral': 0,
      })
      expect(created.id).toMatch(UUID)
      const shown = await json(admin, 'flavor', 'show', 'tiny2')
      expect(shown).toMatchObject({ id: created.id, name: 'tiny2', ram: 256, disk: 1, vcpus: 1 })
      const listed = await json<{ ID: string; Name: string; RAM: number }[]>(admin, 'flavor', 'list')
      expect(listed).toContainEqual(expect.objectContaining({ ID: created.id, Name: 'tiny2', RAM: 256 }))
      const del = await run(admin, 'flavor', 'delete', 'tiny2')
      expect(del.code, del.stderr).toBe(0)
      await fails(await run(admin, 'flavor', 'show', 'tiny2'), /No Flavor found for tiny2/)

      const token = await json<{ project_id: string }>(admin, 'token', 'issue')
      const priv = await json(
        admin,
        'flavor',
        'create',
        '--ram',
        '128',
        '--disk',
        '1',
        '--vcpus',
        '1',
        '--private',
        '--project',
        'admin',
        '--property',
        'hw:cpu_policy=shared',
        '--id',
        'e2e-private',
        'e2e-private',
      )
      expect(priv).toMatchObject({
        id: 'e2e-private',
        'os-flavor-access:is_public': false,
        properties: { 'hw:cpu_policy': 'shared' },
      })
      expect(await json(admin, 'flavor', 'show', 'e2e-private')).toMatchObject({
        access_project_ids: [token.project_id],
        properties: { 'hw:cpu_policy': 'shared' },
      })
      expect(
        (await json<{ Name: string }[]>(admin, 'flavor', 'list', '--private')).map((f) => f.Name),
      ).toEqual(['e2e-private'])
      const del2 = await run(admin, 'flavor', 'delete', 'e2e-private')
      expect(del2.code, del2.stderr).toBe(0)
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
    'console log show: the compute host reads the console of the guest',
    async () => {
      const server = await json<{ id: string }>(admin, 'server', 'show', 'e2e-vm1')
      const log = await run(admin, 'console', 'log', 'show', 'e2e-vm1')
      expect(log.code, log.stderr).toBe(0)
      expect(log.stdout.trimEnd()).toBe(`FAKE CONSOLE OUTPUT of ${server.id}\nANOTHER\nLAST LINE`)
      const tail = await run(admin, 'console', 'log', 'show', '--lines', '3', 'e2e-vm1')
      expect(tail.code, tail.stderr).toBe(0)
      expect(tail.stdout.trimEnd()).toBe('ANOTHER\nLAST LINE')
      await fails(
        await run(admin, 'console', 'log', 'show', 'no-such-server'),
        /No Server found for no-such-server/,
      )
    },
    CLI_TIMEOUT,
  )

  it(
    'server event list and server event show: the create action and its build event',
    async () => {
      const server = await json<{ id: string }>(admin, 'server', 'show', 'e2e-vm1')
      const events = await json<Record<string, string>[]>(
        admin,
        '--os-compute-api-version',
        '2.84',
        'server',
        'event',
        'list',
        'e2e-vm1',
      )
      expect(events).toEqual([expect.objectContaining({ 'Server ID': server.id, Action: 'create' })])
      const requestId = events[0]!['Request ID']!
      expect(requestId).toMatch(/^req-/)
      const shown = await json<{ action: string; events: Record<string, unknown>[] }>(
        admin,
        '--os-compute-api-version',
        '2.84',
        'server',
        'event',
        'show',
        'e2e-vm1',
        requestId,
      )
      expect(shown.action).toBe('create')
      expect(shown.events).toEqual([
        expect.objectContaining({
          event: 'compute__do_build_and_run_instance',
          result: 'Success',
          host: 'e2e-host',
        }),
      ])
      const legacy = await nova(admin, ['instance-action-list', 'e2e-vm1'], home)
      expect(legacy.code, legacy.stderr).toBe(0)
      expect(legacy.stdout).toContain(requestId)
    },
    CLI_TIMEOUT,
  )

  it(
    'server stop, start, reboot [--hard] --wait, pause, unpause, suspend, resume, lock, unlock',
    async () => {
      const statusOf = async () => (await json<{ status: string }>(admin, 'server', 'show', 'e2e-vm1')).status
      /** The CLI has --wait for reboot only: the others are polled, as a user would. */
      const reaches = async (status: string) => {
        const deadline = Date.now() + 30_000
        while ((await statusOf()) !== status) {
          expect(Date.now(), `e2e-vm1 never reached ${status}`).toBeLessThan(deadline)
          await new Promise((r) => setTimeout(r, 300))
        }
      }
      const ok = async (...args: string[]) => {
        const res = await run(admin, ...args)
        expect(res.code, `openstack ${args.join(' ')}: ${res.stderr}`).toBe(0)
      }
      const steps: [string[], string][] = [
        [['server', 'stop', 'e2e-vm1'], 'SHUTOFF'],
        [['server', 'start', 'e2e-vm1'], 'ACTIVE'],
        [['server', 'reboot', '--wait', 'e2e-vm1'], 'ACTIVE'],
        [['server', 'reboot', '--hard', '--wait', 'e2e-vm1'], 'ACTIVE'],
        [['server', 'pause', 'e2e-vm1'], 'PAUSED'],
        [['server', 'unpause', 'e2e-vm1'], 'ACTIVE'],
        [['server', 'suspend', 'e2e-vm1'], 'SUSPENDED'],
        [['server', 'resume', 'e2e-vm1'], 'ACTIVE'],
      ]
      for (const [args, status] of steps) {
        await ok(...args)
        await reaches(status)
      }
      await ok('--os-compute-api-version', '2.73', 'server', 'lock', '--reason', 'e2e', 'e2e-vm1')
      const locked = await json(admin, '--os-compute-api-version', '2.73', 'server', 'show', 'e2e-vm1')
      expect(locked).toMatchObject({ locked: true, locked_reason: 'e2e', status: 'ACTIVE' })
      await ok('server', 'unlock', 'e2e-vm1')
      expect(
        await json(admin, '--os-compute-api-version', '2.73', 'server', 'show', 'e2e-vm1'),
      ).toMatchObject({
        locked: false,
        locked_reason: null,
      })
      const events = await json<{ Action: string }[]>(admin, 'server', 'event', 'list', 'e2e-vm1')
      expect(events.map((e) => e.Action).slice(0, 10)).toEqual([
        'unlock',
        'lock',
        'resume',
        'suspend',
        'unpause',
        'pause',
        'reboot',
        'reboot',
        'start',
        'stop',
      ])
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
      // Every project's servers are for admins only, as in Nova.
      await fails(
        await run(bob, 'server', 'list', '--all-projects'),
        /Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed\. \(HTTP 403\)/,
      )
      await fails(
        await run(bob, 'server', 'show', 'e2e-vm1'),
        /No server with a name or ID of 'e2e-vm1' exists/,
      )
      await fails(await run(bob, 'project', 'create', 'evil'), /identity:create_project\. \(HTTP 403\)/)
      await fails(await run(bob, 'user', 'list'), /identity:list_users\. \(HTTP 403\)/)
      await fails(await run(bob, 'compute', 'service', 'list'), /403/)
      await fails(
        await run(bob, 'flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', 'e2e-evil'),
        /403: .*Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed\./,
      )
      await fails(await run(bob, 'flavor', 'delete', 'm1.tiny'), /os-flavor-manage:delete/)

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
    'nova list and nova boot through novaclient',
    async () => {
      const novaRun = (...args: string[]) => nova(admin, args, home)
      const before = await novaRun('list')
      expect(before.code, before.stderr).toBe(0)
      expect(
        tableRows(before.stdout)
          .map((r) => r.Name)
          .sort(),
      ).toEqual(['e2e-vm1', 'e2e-vm2'])
      expect(tableRows(before.stdout)[0]).toMatchObject({ Status: 'ACTIVE', 'Power State': 'Running' })

      const boot = await novaRun(
        'boot',
        '--flavor',
        'm1.tiny',
        '--image',
        'tsnova-tiny',
        '--nic',
        'none',
        '--poll',
        'e2e-nova-vm',
      )
      expect(boot.code, boot.stderr).toBe(0)
      const fields = Object.fromEntries(tableRows(boot.stdout).map((r) => [r.Property, r.Value]))
      expect(fields).toMatchObject({
        name: 'e2e-nova-vm',
        'flavor:original_name': 'm1.tiny',
        image: 'tsnova-tiny (10d3215f-ed5b-4106-829a-25b4e7c6caeb)',
      })
      expect(fields.id).toMatch(UUID)
      expect(boot.stdout).toMatch(/Server building\.\.\. 100% complete/)

      const after = await novaRun('list')
      expect(tableRows(after.stdout)).toContainEqual(
        expect.objectContaining({
          ID: fields.id,
          Name: 'e2e-nova-vm',
          Status: 'ACTIVE',
          'Power State': 'Running',
        }),
      )
      const del = await novaRun('delete', 'e2e-nova-vm')
      expect(del.code, del.stderr).toBe(0)
      expect(del.stdout).toContain('Request to delete server e2e-nova-vm has been accepted.')
      const deadline = Date.now() + 60_000
      while (tableRows((await novaRun('list')).stdout).some((r) => r.Name === 'e2e-nova-vm')) {
        expect(Date.now()).toBeLessThan(deadline)
        await new Promise((r) => setTimeout(r, 500))
      }
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

describe('the openstack CLI against the distributed shape (separate processes, RabbitMQ + MariaDB)', () => {
  let cloud: Distributed
  let admin: OsEnv
  let home: string
  const run = (...args: string[]) => openstack(admin, args, home)
  const json = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
    const res = await run(...args, '-f', 'json')
    expect(res.code, `openstack ${args.join(' ')}: ${res.stderr}\n${cloud.output()}`).toBe(0)
    return JSON.parse(res.stdout.slice(res.stdout.search(/[[{]/))) as T
  }

  beforeAll(async () => {
    requireOpenstackCli()
    home = mkdtempSync(path.join(tmpdir(), 'tsnova-e2e-home-'))
    cloud = await Distributed.start('e2e-cmp')
    admin = cloud.adminEnv()
  }, 180_000)

  afterAll(async () => {
    await cloud?.stop()
  })

  it(
    'token issue, flavor list, image list: the catalog bootstrap wrote leads to each service',
    async () => {
      expect(admin).toMatchObject({
        OS_AUTH_URL: `http://127.0.0.1:${cloud.ports.identity}/v3`,
        OS_USERNAME: 'admin',
        OS_PROJECT_NAME: 'admin',
      })
      const token = await json<{ id: string; project_id: string; expires: string }>('token', 'issue')
      expect(token.id.length).toBeGreaterThan(40)
      expect(token.project_id).toMatch(/^[0-9a-f]{32}$/)
      const flavors = await json<{ Name: string }[]>('flavor', 'list')
      expect(flavors.map((f) => f.Name)).toEqual([
        'm1.tiny',
        'm1.small',
        'm1.medium',
        'm1.large',
        'm1.xlarge',
      ])
      const images = await json<{ Name: string; Status: string }[]>('image', 'list')
      expect(images).toContainEqual(expect.objectContaining({ Name: 'tsnova-tiny', Status: 'active' }))
    },
    CLI_TIMEOUT,
  )

  it(
    'compute service list and hypervisor list',
    async () => {
      const services = await json<{ Binary: string; Host: string; Status: string; State: string }[]>(
        'compute',
        'service',
        'list',
      )
      expect(services.map((s) => `${s.Binary}@${s.Host}`).sort()).toEqual([
        'nova-compute@e2e-cmp',
        'nova-conductor@e2e-controller',
        'nova-scheduler@e2e-controller',
      ])
      for (const s of services) expect(s).toMatchObject({ Status: 'enabled', State: 'up' })
      const hypervisors = await json<{ 'Hypervisor Hostname': string; State: string }[]>('hypervisor', 'list')
      expect(hypervisors).toEqual([
        expect.objectContaining({ 'Hypervisor Hostname': 'e2e-cmp', State: 'up' }),
      ])
    },
    CLI_TIMEOUT,
  )

  it(
    'server create --wait, server list, server delete --wait',
    async () => {
      const created = await json(
        '--os-compute-api-version',
        '2.latest',
        'server',
        'create',
        '--flavor',
        'm1.tiny',
        '--image',
        'tsnova-tiny',
        '--nic',
        'none',
        '--wait',
        'e2e-dist-vm',
      )
      expect(created).toMatchObject({
        name: 'e2e-dist-vm',
        status: 'ACTIVE',
        'OS-EXT-SRV-ATTR:host': 'e2e-cmp',
        image: 'tsnova-tiny (10d3215f-ed5b-4106-829a-25b4e7c6caeb)',
      })
      const list = await json<{ ID: string; Name: string; Status: string; Flavor: string }[]>(
        'server',
        'list',
      )
      expect(list).toEqual([
        expect.objectContaining({ ID: created.id, Name: 'e2e-dist-vm', Status: 'ACTIVE', Flavor: 'm1.tiny' }),
      ])
      const del = await run('server', 'delete', '--wait', 'e2e-dist-vm')
      expect(del.code, del.stderr).toBe(0)
      expect(await json('server', 'list')).toEqual([])
    },
    CLI_TIMEOUT,
  )
})
