/**
 * What Glance validates requests against: the image schema it serves (`/v2/schemas/image`),
 * and for members the size of the column a member id is stored in.
 */
import { glanceObject } from '../validation/glance.js'
import { imageSchema } from './schemas.js'

const served = imageSchema()

/** The served schema, with the floors Glance's domain puts on min_ram / min_disk. */
export const validateImage = glanceObject('image', {
  ...served,
  properties: {
    ...served.properties,
    min_ram: { ...served.properties.min_ram, minimum: 0 },
    min_disk: { ...served.properties.min_disk, minimum: 0 },
  },
})

export const validateMember = glanceObject<{ member: string }>('member', {
  type: 'object',
  properties: { member: { type: 'string', minLength: 1, maxLength: 255 } },
  required: ['member'],
})
