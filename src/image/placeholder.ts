import { Readable } from 'node:stream'
import { makeContext } from '../shared/context.js'
import type { ImageService } from './image-service.js'
import type { Image } from './image-store.js'

/** The all-in-one's seeded image: the id the README's examples and the tests boot from. */
export const PLACEHOLDER_IMAGE_ID = '10d3215f-ed5b-4106-829a-25b4e7c6caeb'
export const PLACEHOLDER_IMAGE_NAME = 'tsnova-tiny'

/** 64 KiB: a text header saying what this is, then zeros. Not bootable; the fake driver needs no more. */
function placeholderData(): Buffer {
  const data = Buffer.alloc(64 * 1024)
  data.write(
    'tsnova placeholder image: not a bootable disk. The fake driver boots it; for a real guest, ' +
      'upload one with `openstack image create --file <disk> --disk-format qcow2 <name>`.\n',
  )
  return data
}

/**
 * Seed the placeholder image (public, raw/bare) when it is missing, owned by `owner` (the admin
 * project). Returns the image, new or existing. Idempotent, also after an interrupted seed.
 */
export async function seedPlaceholderImage(images: ImageService, owner: string | null): Promise<Image> {
  const ctx = makeContext({ isAdmin: true, roles: ['admin'], projectId: owner })
  let image = await images.store.get(PLACEHOLDER_IMAGE_ID)
  if (!image) {
    image = await images.create(ctx, {
      id: PLACEHOLDER_IMAGE_ID,
      name: PLACEHOLDER_IMAGE_NAME,
      visibility: 'public',
      disk_format: 'raw',
      container_format: 'bare',
      min_disk: 0,
      min_ram: 0,
      os_distro: 'tsnova',
      description: 'Placeholder image of the tsnova all-in-one (not bootable on a real hypervisor)',
    })
  }
  if (image.status === 'saving') {
    await images.store.update(image.id, { core: { status: 'queued' }, expectStatus: 'saving' })
    image = (await images.store.get(image.id))!
  }
  if (image.status === 'queued') {
    await images.upload(ctx, image.id, Readable.from([placeholderData()]))
    image = (await images.store.get(image.id))!
  }
  return image
}
