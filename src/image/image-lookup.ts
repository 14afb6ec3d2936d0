import type { RequestContext } from '../shared/context.js'

/** What the compute API needs of an image to accept a boot from it. */
export interface ImageForBoot {
  readonly id: string
  readonly status: string
  readonly min_ram: number
  readonly min_disk: number
  readonly size: number | null
  readonly properties: Readonly<Record<string, string>>
}

/**
 * The compute API's view of the image service: an image as the caller may see it, or undefined
 * (unknown, or invisible to the caller). The built-in image service implements it directly.
 */
export interface ImageLookup {
  find(ctx: RequestContext, id: string): Promise<ImageForBoot | undefined>
}
