import { RE2JS } from 're2js'
import type { CellRouter } from '../cells/cell-router.js'
import type { ApiStore } from '../db/api/api-store.js'
import { type Instance, instanceFromBuildRequest } from '../objects/instance.js'
import {
  compareSortValues,
  type InstanceListFilters,
  type InstancePageQuery,
  normaliseTime,
  type SortKey,
  type SortValue,
  sortValue,
} from '../objects/instance-list.js'
import { Invalid, MarkerNotFound } from '../shared/errors.js'

export interface ServerListRequest {
  readonly filters: InstanceListFilters
  /** `name`: a regular expression searched in the display name (RE2: linear time, whatever the pattern). */
  readonly name?: string
  /** As asked (`sort_key`/`sort_dir`); Nova's defaults and a unique key are added. */
  readonly sort: readonly SortKey[]
  readonly limit: number
  /** The uuid of the last server of the previous page. */
  readonly marker?: string
}

/** Rows read from a cell per query while a name filter throws some away. */
const FILTERED_BATCH = 500

/**
 * Servers across every cell and the build requests not yet in one, as one sorted list (Nova's
 * multi-cell lister): each cell answers its first `limit` servers after the marker in the
 * requested order, and the answers are merged. Paging is by the marker's sort values, so it is
 * right across cells and stays cheap deep into a long list.
 */
export class ServerLister {
  constructor(
    private readonly api: ApiStore,
    private readonly cells: CellRouter,
  ) {}

  async list(req: ServerListRequest): Promise<Instance[]> {
    if (req.limit <= 0) return []
    const sort = totalOrder(req.sort)
    const nameMatches = req.name === undefined ? undefined : nameFilter(req.name)
    const after = req.marker ? await this.markerValues(req.marker, sort) : undefined
    const fromCells = await Promise.all(
      (await this.cells.all()).map((cell) =>
        readFiltered(
          (page) => cell.store.instances.listPage(page),
          { filters: req.filters, sort, limit: req.limit, ...(after ? { after } : {}) },
          nameMatches,
        ),
      ),
    )
    const inCells = new Set(fromCells.flat().map((i) => i.uuid))
    const waiting = (await this.buildRequests(req.filters))
      .filter((i) => !inCells.has(i.uuid) && (!nameMatches || nameMatches(i)))
      .filter((i) => !after || compareSortValues(sort, valuesOf(i, sort), after) > 0)
    const keyed = [...fromCells.flat(), ...waiting].map((i) => ({ i, v: valuesOf(i, sort) }))
    keyed.sort((a, b) => compareSortValues(sort, a.v, b.v))
    return keyed.slice(0, req.limit).map((k) => k.i)
  }

  /** The marker's sort values, wherever it is (deleted servers count: Nova reads them too). */
  private async markerValues(marker: string, sort: readonly SortKey[]): Promise<SortValue[]> {
    const cell = await this.cells.forInstance(marker)
    const instance = cell
      ? await cell.store.instances.find(marker, true)
      : await this.api.getBuildRequest(marker).then((br) => (br ? instanceFromBuildRequest(br) : undefined))
    if (!instance) throw new MarkerNotFound(marker)
    return valuesOf(instance, sort)
  }

  /** The servers still waiting for a cell, filtered as the cells filter theirs. */
  private async buildRequests(f: InstanceListFilters): Promise<Instance[]> {
    if (f.deleted === true || f.host !== undefined || f.node !== undefined) return []
    const all = (await this.api.listBuildRequests(f.projectId ?? null)).map(instanceFromBuildRequest)
    return all.filter(
      (i) =>
        (f.userId === undefined || i.user_id === f.userId) &&
        (f.reservationId === undefined || i.reservation_id === f.reservationId) &&
        (f.imageRef === undefined || i.image_ref === f.imageRef) &&
        (f.flavorPk === undefined || i.flavor.id === f.flavorPk) &&
        (f.uuid === undefined || i.uuid === f.uuid) &&
        (f.locked === undefined || i.locked === f.locked) &&
        (f.availabilityZone === undefined || i.availability_zone === f.availabilityZone) &&
        (f.vmStates === undefined || f.vmStates.includes(i.vm_state ?? '')) &&
        (f.taskStates === undefined || f.taskStates.includes(i.task_state)) &&
        (f.changesSince === undefined ||
          normaliseTime(i.updated_at ?? '') >= normaliseTime(f.changesSince)) &&
        (f.changesBefore === undefined ||
          normaliseTime(i.updated_at ?? '') <= normaliseTime(f.changesBefore)),
    )
  }
}

/**
 * Nova's defaults (`created_at`, `id`, in the first key's direction) and `uuid` last: ids repeat
 * across cells, uuids do not, so the order is total and a marker is never ambiguous.
 */
export function totalOrder(asked: readonly SortKey[]): SortKey[] {
  const sort = asked.length > 0 ? [...asked] : [{ key: 'created_at', dir: 'desc' } as const]
  const dir = sort[0]!.dir
  for (const key of ['created_at', 'id', 'uuid'] as const) {
    if (!sort.some((s) => s.key === key)) sort.push({ key, dir })
  }
  return sort
}

function valuesOf(instance: Instance, sort: readonly SortKey[]): SortValue[] {
  return sort.map((s) => sortValue(instance, s.key))
}

/** Python's `re.search` of the display name, in an engine that cannot backtrack without end. */
function nameFilter(pattern: string): (i: Instance) => boolean {
  let re: RE2JS
  try {
    re = RE2JS.compile(pattern)
  } catch {
    throw new Invalid(`Invalid regular expression for name filter: ${pattern}`)
  }
  return (i) => re.matcher(i.display_name ?? '').find()
}

/**
 * The first `limit` rows of one cell that pass the name filter: without one, one query; with
 * one, batches read on from the last row until enough pass or the cell has no more.
 */
async function readFiltered(
  read: (page: InstancePageQuery) => Promise<Instance[]>,
  page: InstancePageQuery,
  keep: ((i: Instance) => boolean) | undefined,
): Promise<Instance[]> {
  if (!keep) return read(page)
  const out: Instance[] = []
  let after = page.after
  for (;;) {
    const rows = await read({ ...page, after, limit: Math.max(page.limit, FILTERED_BATCH) })
    for (const row of rows) if (keep(row)) out.push(row)
    if (out.length >= page.limit || rows.length < Math.max(page.limit, FILTERED_BATCH)) return out
    after = valuesOf(rows.at(-1)!, page.sort)
  }
}
