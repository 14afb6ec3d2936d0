import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** What an upload produced: Glance's `size`, `checksum` (MD5) and multihash (SHA-512). */
export interface StoredData {
  readonly size: number
  readonly checksum: string
  readonly osHashAlgo: 'sha512'
  readonly osHashValue: string
}

export class ImageSizeLimitExceeded extends Error {}

/**
 * glance_store's filesystem backend: one file per image, named by its id, under
 * `[glance_store] filesystem_store_datadir`. Writes go to a temporary name and are renamed into
 * place once complete, so a reader never sees half an image.
 */
export class FilesystemStore {
  constructor(
    readonly datadir: string,
    private readonly options: { sizeCap?: number } = {},
  ) {}

  private file(id: string): string {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`invalid image id ${id}`)
    return path.join(this.datadir, id)
  }

  async put(id: string, data: Readable): Promise<StoredData> {
    await mkdir(this.datadir, { recursive: true })
    const target = this.file(id)
    const partial = `${target}.${process.pid}.${Date.now()}.partial`
    const md5 = createHash('md5')
    const sha512 = createHash('sha512')
    let size = 0
    const cap = this.options.sizeCap ?? Number.POSITIVE_INFINITY
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length
        if (size > cap)
          return done(new ImageSizeLimitExceeded(`Image exceeds the storage quota of ${cap} bytes`))
        md5.update(chunk)
        sha512.update(chunk)
        done(null, chunk)
      },
    })
    try {
      await pipeline(data, hasher, createWriteStream(partial, { mode: 0o640 }))
      await rename(partial, target)
    } catch (err) {
      await rm(partial, { force: true })
      throw err
    }
    return { size, checksum: md5.digest('hex'), osHashAlgo: 'sha512', osHashValue: sha512.digest('hex') }
  }

  async get(id: string): Promise<{ stream: ReadStream; size: number } | undefined> {
    const file = this.file(id)
    const s = await stat(file).catch(() => undefined)
    if (!s) return undefined
    return { stream: createReadStream(file), size: s.size }
  }

  async delete(id: string): Promise<void> {
    await rm(this.file(id), { force: true })
  }
}
