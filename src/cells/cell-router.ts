import type { ComputeClient } from '../compute/rpcapi.js'
import type { ApiStore } from '../db/api/api-store.js'
import type { CellStore } from '../db/cell/cell-store.js'
import { type CellMapping, isCell0 } from '../objects/cell-mapping.js'
import { CellMappingNotFound } from '../shared/errors.js'

/** One cell as its users need it: where it is, its database, and RPC to its compute hosts. */
export interface Cell {
  readonly mapping: CellMapping
  readonly store: CellStore
  /** RPC to this cell's compute hosts, over the cell's own message bus. cell0 has none. */
  readonly compute: ComputeClient
}

/** Opens (once per mapping) the database and the message bus a cell mapping names. */
export type CellOpener = (mapping: CellMapping) => Cell

/** How long a read of the cell mappings is trusted; a lookup of an unknown cell reads them again. */
const MAPPINGS_TTL_MS = 30_000
/** How long a host's cell is trusted (a host changes cell only when an operator moves it). */
const HOST_CELL_TTL_MS = 30_000
/** Instances whose cell is remembered: an instance's cell, once set, does not change. */
const INSTANCE_CELLS_KEPT = 50_000

/**
 * Every read or write of cell data starts here: given an instance (by its instance mapping), a
 * host (by its host mapping) or a cell, it answers that cell's store and RPC client, as Nova's
 * `context.target_cell` does. Cells are opened on first use and kept open.
 */
export class CellRouter {
  private mappings: CellMapping[] = []
  private readAt = Number.NEGATIVE_INFINITY
  private reading: Promise<CellMapping[]> | undefined
  private readonly opened = new Map<string, Cell>()
  private readonly instanceCells = new Map<string, number>()
  private readonly hostCells = new Map<string, { cellId: number; readAt: number }>()

  constructor(
    private readonly api: ApiStore,
    private readonly open: CellOpener,
    /** This process's `[database] connection`: its own cell, for a cell conductor or scheduler. */
    private readonly localConnection: string,
  ) {}

  /** Every mapped cell, cell0 first: what a list scatters over. */
  async all(): Promise<Cell[]> {
    return (await this.cellMappings()).map((m) => this.cell(m))
  }

  /** The cells that have compute hosts: all but cell0. */
  async withHosts(): Promise<Cell[]> {
    return (await this.cellMappings()).filter((m) => !isCell0(m)).map((m) => this.cell(m))
  }

  /** cell0: where servers that never got a host are kept, in ERROR with their fault. */
  async cell0(): Promise<Cell> {
    return this.find((m) => isCell0(m), 'cell0')
  }

  async byId(id: number): Promise<Cell> {
    return this.find((m) => m.id === id, String(id))
  }

  async byUuid(uuid: string): Promise<Cell> {
    return this.find((m) => m.uuid === uuid, uuid)
  }

  /** The cell of this process's `[database] connection`. */
  async local(): Promise<Cell> {
    return this.find((m) => m.database_connection === this.localConnection, 'the local cell')
  }

  /** The cell an instance lives in; undefined while it has none (still a build request, or unknown). */
  async forInstance(instanceUuid: string): Promise<Cell | undefined> {
    const known = this.instanceCells.get(instanceUuid)
    if (known !== undefined) return this.byId(known)
    const mapping = await this.api.getInstanceMapping(instanceUuid)
    if (mapping?.cell_id == null) return undefined
    this.rememberInstanceCell(instanceUuid, mapping.cell_id)
    return this.byId(mapping.cell_id)
  }

  /** An instance's cell, as its mapping says (the cache of forInstance, filled by any reader). */
  rememberInstanceCell(instanceUuid: string, cellId: number): void {
    if (this.instanceCells.size >= INSTANCE_CELLS_KEPT) {
      // The oldest entry goes (a Map iterates in insertion order).
      this.instanceCells.delete(this.instanceCells.keys().next().value!)
    }
    this.instanceCells.set(instanceUuid, cellId)
  }

  /**
   * The cell a compute host is in, by its host mapping. A host not mapped yet belongs to the only
   * cell with hosts when there is just one (a compute maps itself when it first registers, so this
   * only covers the moment between its registration and its mapping).
   */
  async forHost(host: string): Promise<Cell | undefined> {
    const known = this.hostCells.get(host)
    if (known && Date.now() - known.readAt < HOST_CELL_TTL_MS) return this.byId(known.cellId)
    const cellId = await this.api.getHostMapping(host)
    if (cellId !== undefined) {
      this.hostCells.set(host, { cellId, readAt: Date.now() })
      return this.byId(cellId)
    }
    const cells = await this.withHosts()
    return cells.length === 1 ? cells[0] : undefined
  }

  private cell(mapping: CellMapping): Cell {
    let cell = this.opened.get(mapping.uuid)
    if (!cell) {
      cell = this.open(mapping)
      this.opened.set(mapping.uuid, cell)
    }
    return cell
  }

  private async find(match: (m: CellMapping) => boolean, what: string): Promise<Cell> {
    let mapping = (await this.cellMappings()).find(match)
    if (!mapping) mapping = (await this.cellMappings(true)).find(match)
    if (!mapping) throw new CellMappingNotFound(what)
    return this.cell(mapping)
  }

  private async cellMappings(fresh = false): Promise<CellMapping[]> {
    if (!fresh && Date.now() - this.readAt < MAPPINGS_TTL_MS) return this.mappings
    this.reading ??= this.api
      .listCells()
      .then((cells) => {
        // cell0 first, then the others in the order they were mapped.
        this.mappings = [...cells.filter(isCell0), ...cells.filter((c) => !isCell0(c))]
        this.readAt = Date.now()
        return this.mappings
      })
      .finally(() => {
        this.reading = undefined
      })
    return this.reading
  }
}
