import { randomUUID } from 'node:crypto'
import type { ApiStore } from '../db/api/api-store.js'
import type { Flavor } from '../objects/flavor.js'
import type { RequestContext } from '../shared/context.js'
import { FlavorAccessExists, FlavorAccessNotFound, NotFound } from '../shared/errors.js'

/** What `POST /flavors` asks for; `flavorid` empty or null means "generate a uuid". */
export type NewFlavor = Pick<
  Flavor,
  | 'name'
  | 'memory_mb'
  | 'vcpus'
  | 'root_gb'
  | 'ephemeral_gb'
  | 'swap'
  | 'rxtx_factor'
  | 'is_public'
  | 'description'
> & { readonly flavorid: string | null }

export class FlavorExtraSpecsNotFound extends NotFound {
  constructor(flavorId: string, key: string) {
    super(`Flavor ${flavorId} has no extra specs with key ${key}.`)
  }
}

/**
 * Flavors as Nova's flavor objects see them: every read goes to the API database (nothing is
 * cached between requests, so a change is seen at once by every API process). A non-admin sees
 * public flavors and the private ones their project was given access to; an admin sees all.
 */
export class FlavorApi {
  constructor(private readonly api: ApiStore) {}

  /** `GET /flavors[/detail]`: admins choose `isPublic` (null for all); others get public + theirs, enabled. */
  list(
    ctx: RequestContext,
    filters: { isPublic: boolean | null; minMemoryMb?: number; minRootGb?: number },
  ): Promise<Flavor[]> {
    const common = { minMemoryMb: filters.minMemoryMb, minRootGb: filters.minRootGb }
    if (ctx.isAdmin)
      return this.api.listFlavors({ ...common, isPublic: filters.isPublic, accessProject: ctx.projectId })
    return this.api.listFlavors({
      ...common,
      visibleTo: ctx.projectId,
      isPublic: true,
      accessProject: ctx.projectId,
      disabled: false,
    })
  }

  /** One flavor the caller may see, else FlavorNotFound (404). */
  get(ctx: RequestContext, flavorid: string): Promise<Flavor> {
    return this.api.getFlavor(flavorid, ctx.isAdmin ? undefined : ctx.projectId)
  }

  /** Nova's `flavors.create`: a uuid when no id is given; 409 for a taken name or id. */
  create(f: NewFlavor): Promise<Flavor> {
    return this.api.createFlavor({
      flavorid: f.flavorid || randomUUID(),
      name: f.name.trim(),
      memory_mb: f.memory_mb,
      vcpus: f.vcpus,
      root_gb: f.root_gb,
      ephemeral_gb: f.ephemeral_gb,
      swap: f.swap,
      rxtx_factor: f.rxtx_factor,
      vcpu_weight: null,
      disabled: false,
      is_public: f.is_public,
      description: f.description,
    })
  }

  updateDescription(flavorid: string, description: string | null): Promise<Flavor> {
    return this.api.updateFlavorDescription(flavorid, description)
  }

  delete(flavorid: string): Promise<void> {
    return this.api.deleteFlavor(flavorid)
  }

  /** Merge `specs` into the flavor's extra specs. */
  async setExtraSpecs(ctx: RequestContext, flavorid: string, specs: Record<string, string>): Promise<void> {
    const flavor = await this.get(ctx, flavorid)
    await this.api.setFlavorExtraSpecs(flavor.id, specs)
  }

  async deleteExtraSpec(ctx: RequestContext, flavorid: string, key: string): Promise<void> {
    const flavor = await this.get(ctx, flavorid)
    if (!(await this.api.deleteFlavorExtraSpec(flavor.id, key)))
      throw new FlavorExtraSpecsNotFound(flavorid, key)
  }

  /** The projects with access to a (private) flavor. */
  projects(flavor: Flavor): Promise<string[]> {
    return this.api.listFlavorProjects(flavor.id)
  }

  async addAccess(flavor: Flavor, projectId: string): Promise<string[]> {
    if (!(await this.api.addFlavorAccess(flavor.id, projectId)))
      throw new FlavorAccessExists(flavor.id, projectId)
    return this.projects(flavor)
  }

  async removeAccess(flavor: Flavor, projectId: string): Promise<string[]> {
    if (!(await this.api.removeFlavorAccess(flavor.id, projectId)))
      throw new FlavorAccessNotFound(flavor.id, projectId)
    return this.projects(flavor)
  }
}
