import { isoSeconds } from '../shared/time.js'
import type { Image, ImageMember } from './image-store.js'

/** An image as Glance v2 renders it: core attributes, then the free-form properties at top level. */
export function imageView(image: Image) {
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.os_hidden,
    owner: image.owner,
    size: image.size,
    virtual_size: image.virtual_size,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    disk_format: image.disk_format,
    container_format: image.container_format,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    tags: image.tags,
    created_at: isoSeconds(image.created_at),
    updated_at: isoSeconds(image.updated_at),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  }
}

export function memberView(m: ImageMember) {
  return {
    image_id: m.image_id,
    member_id: m.member,
    status: m.status,
    created_at: isoSeconds(m.created_at),
    updated_at: isoSeconds(m.updated_at),
    schema: '/v2/schemas/member',
  }
}
