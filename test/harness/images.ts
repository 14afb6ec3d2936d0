/** Seeding the image the tests boot from into a cloud that runs as separate processes. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ControlRuntime } from '../../src/cmd/control-runtime.js'
import { imageService } from '../../src/cmd/identity-image.js'
import { loadConfig } from '../../src/config/config.js'
import type { Image } from '../../src/image/image-store.js'
import { seedPlaceholderImage } from '../../src/image/placeholder.js'
import { createLogger } from '../../src/shared/logger.js'

/** Put the all-in-one's placeholder image (public) into the API database of `configFiles`. */
export async function seedTestImage(configFiles: readonly string[]): Promise<Image> {
  const datadir = mkdtempSync(path.join(tmpdir(), 'tsnova-images-'))
  const config = loadConfig(configFiles, { glance_store: { filesystem_store_datadir: datadir } })
  const log = createLogger({ name: 'test' })
  log.level = 'silent'
  const rt = new ControlRuntime(config, log)
  try {
    return await seedPlaceholderImage(imageService(rt), null)
  } finally {
    await rt.close()
  }
}
