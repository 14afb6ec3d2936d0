/**
 * `tsnova-manage image upload`: an image made straight in the API database and the data
 * directory, then served by the image service (`tsnova image`) as if the client had uploaded it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ControlRuntime } from '../../src/cmd/control-runtime.js'
import { type ListeningServer, startImage } from '../../src/cmd/identity-image.js'
import { bootstrapCommand, imageUploadCommand } from '../../src/cmd/identity-manage.js'
import { apiDbSync } from '../../src/cmd/manage.js'
import { type Config, loadConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/shared/logger.js'
import { createDatabases, type TestDatabases } from '../harness/databases.js'
import { describeDatabases } from '../harness/matrix.js'

interface ImageView {
  id: string
  name: string
  status: string
  visibility: string
  owner: string | null
  size: number
  checksum: string
  disk_format: string
  container_format: string
}

describeDatabases('tsnova-manage image upload on $db', ({ db }) => {
  let dbs: TestDatabases
  let config: Config
  let rt: ControlRuntime
  let glance: ListeningServer
  let dir: string
  let adminProject: string

  /** GET on the image service, as `user:project` (noauth2); admin is the `admin` user. */
  const get = async (token: string, url: string) =>
    fetch(`${glance.url}${url}`, { headers: { 'x-auth-token': token } })
  const images = async (token: string, query: string): Promise<ImageView[]> =>
    ((await (await get(token, `/v2/images?${query}`)).json()) as { images: ImageView[] }).images

  beforeAll(async () => {
    dbs = createDatabases(db)
    dir = mkdtempSync(path.join(tmpdir(), 'tsnova-image-upload-'))
    config = loadConfig([], {
      DEFAULT: { state_path: dir, osapi_compute_listen: '127.0.0.1' },
      api: { auth_strategy: 'noauth2' },
      api_database: { connection: dbs.api },
      database: { connection: dbs.cell },
      image: { bind_port: '0' },
    })
    await apiDbSync(config)
    const said = await bootstrapCommand(config, { bootstrapPassword: 'upload-test' })
    adminProject = /on project admin \(([0-9a-f]{32})\)/.exec(said)![1]!
    const log = createLogger({ name: 'test' })
    log.level = 'silent'
    rt = new ControlRuntime(config, log)
    glance = await startImage(rt)
  })

  afterAll(async () => {
    await rt?.close()
    await dbs?.drop()
  })

  it('makes an active image the image service lists and serves, byte for byte', async () => {
    const data = randomBytes(200_000)
    const file = path.join(dir, 'disk.qcow2')
    writeFileSync(file, data)
    const said = await imageUploadCommand(config, {
      name: 'uploaded-public',
      file,
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      public: true,
    })
    expect(said).toMatch(
      /^Image uploaded-public \([0-9a-f-]{36}\) is active: 200000 bytes, qcow2\/bare, public, owner [0-9a-f]{32}\.$/,
    )

    // Public: another project's member sees it.
    const [image] = await images('bob:demo', 'name=uploaded-public')
    expect(image).toMatchObject({
      status: 'active',
      visibility: 'public',
      owner: adminProject,
      size: 200_000,
      checksum: createHash('md5').update(data).digest('hex'),
      disk_format: 'qcow2',
      container_format: 'bare',
    })
    const download = await get('bob:demo', `/v2/images/${image!.id}/file`)
    expect(download.status).toBe(200)
    expect(Buffer.from(await download.arrayBuffer()).equals(data)).toBe(true)
  })

  it("without --public the image is shared: the admin project's, not another project's", async () => {
    const file = path.join(dir, 'disk.raw')
    writeFileSync(file, Buffer.alloc(4096))
    await imageUploadCommand(config, {
      name: 'uploaded-shared',
      file,
      diskFormat: 'raw',
      containerFormat: 'bare',
      public: false,
    })
    const [image] = await images(`admin:${adminProject}`, 'name=uploaded-shared')
    expect(image).toMatchObject({ status: 'active', visibility: 'shared', owner: adminProject })
    expect(await images('bob:demo', 'name=uploaded-shared')).toEqual([])
  })

  it('refuses a missing file or a format Glance does not know, and leaves no image behind', async () => {
    const file = path.join(dir, 'disk.raw')
    const upload = (name: string, options: { file: string; diskFormat: string }) =>
      imageUploadCommand(config, { name, containerFormat: 'bare', public: false, ...options })
    await expect(
      upload('no-file', { file: path.join(dir, 'missing.img'), diskFormat: 'raw' }),
    ).rejects.toThrow(/Cannot read --file .*missing\.img/)
    await expect(upload('bad-format', { file, diskFormat: 'floppy' })).rejects.toThrow(
      /'floppy' is not one of/,
    )
    expect(await images('admin:admin', 'name=no-file')).toEqual([])
    expect(await images('admin:admin', 'name=bad-format')).toEqual([])
  })
})
