/**
 * Service versions (Nova's `nova/objects/service.py`): every service stores its SERVICE_VERSION in
 * its `services` row, and the history says which compute RPC version each one speaks, so a
 * process with the database can cap what it sends to the oldest nova-compute still running.
 */
import type { VersionCap, VersionCapSource } from '../rpc/version-cap.js'
import type { Logger } from '../shared/logger.js'

export interface ServiceVersionEntry {
  readonly serviceVersion: number
  /** The compute RPC API version a nova-compute of this service version serves. */
  readonly computeRpc: string
  readonly change: string
}

/**
 * Oldest first, one entry per SERVICE_VERSION. tsnova starts at Nova's 64 (Zed, compute RPC
 * 6.0); from 65 on the numbers are tsnova's own. Bump SERVICE_VERSION with every compute RPC
 * version (and anything else other services must know a host can do), adding its entry here.
 */
export const SERVICE_VERSION_HISTORY: readonly ServiceVersionEntry[] = [
  { serviceVersion: 64, computeRpc: '6.0', change: "tsnova's first services, at Nova's Zed version" },
  { serviceVersion: 65, computeRpc: '6.1', change: 'compute RPC 6.1: get_console_output takes max_bytes' },
  {
    serviceVersion: 66,
    computeRpc: '6.2',
    change:
      'compute RPC 6.2: stop, start, reboot, pause, unpause, suspend, resume, crash dump, admin password, remote consoles',
  },
]

/** This release's service version: what its services write into their `services` rows. */
export const SERVICE_VERSION = SERVICE_VERSION_HISTORY[SERVICE_VERSION_HISTORY.length - 1]!.serviceVersion

/**
 * What `[upgrade_levels] compute = auto` reads: Nova's `get_minimum_version_all_cells` for
 * `nova-compute`. The lowest version among live (not deleted, not forced down) nova-compute
 * services, or undefined when there is none.
 */
export interface ServiceVersions {
  minimumComputeVersion(): Promise<number | undefined>
}

/**
 * The compute RPC version that the oldest compute (at service version `minimum`) serves: the
 * newest history entry at or below it. `tooOld` when it predates every entry.
 */
export function computeRpcVersionFor(minimum: number): { computeRpc: string; tooOld: boolean } {
  let found: ServiceVersionEntry | undefined
  for (const entry of SERVICE_VERSION_HISTORY) {
    if (entry.serviceVersion <= minimum) found = entry
  }
  if (found) return { computeRpc: found.computeRpc, tooOld: false }
  return { computeRpc: SERVICE_VERSION_HISTORY[0]!.computeRpc, tooOld: true }
}

/** The cap `auto` arrives at for a minimum nova-compute service version (undefined: none running). */
export function autoComputeCap(minimum: number | undefined): VersionCap {
  const option = '[upgrade_levels] compute = auto'
  if (minimum === undefined) {
    return { version: undefined, origin: `${option}, and no nova-compute service is running yet` }
  }
  if (minimum > SERVICE_VERSION) {
    // Every compute is newer than this process: what it sends, they all understand.
    return {
      version: undefined,
      origin: `${option}: the oldest nova-compute (service version ${minimum}) is newer than this service (${SERVICE_VERSION})`,
    }
  }
  const { computeRpc, tooOld } = computeRpcVersionFor(minimum)
  const why = tooOld ? `, older than any this release can talk to (so the oldest it knows)` : ''
  return {
    version: computeRpc,
    origin: `${option}: the oldest nova-compute is at service version ${minimum}${why}`,
  }
}

/**
 * `[upgrade_levels] compute = auto`: the cap follows the oldest nova-compute. It is read once,
 * then again in the background when older than `refreshS` (messages go on with the cached cap
 * meanwhile), so no message waits on the database but the first. A read that finds no compute
 * is not cached (as Nova): the first compute to register is then seen at once.
 */
export class AutoComputeVersionCap implements VersionCapSource {
  private cached: { cap: VersionCap; minimum: number | undefined; readAt: number } | undefined
  private reading: Promise<VersionCap> | undefined

  constructor(
    private readonly versions: ServiceVersions,
    private readonly log: Logger,
    private readonly refreshS = 60,
  ) {}

  async current(): Promise<VersionCap> {
    const cached = this.cached
    if (!cached) return this.read()
    if (!this.reading && Date.now() - cached.readAt >= this.refreshS * 1000) {
      this.read().catch((err: unknown) =>
        this.log.warn({ err }, 'could not re-read the minimum nova-compute version; keeping the cap'),
      )
    }
    return cached.cap
  }

  /** One read at a time: a burst of messages on a cold or stale cache costs one query. */
  private read(): Promise<VersionCap> {
    this.reading ??= this.readMinimum().finally(() => {
      this.reading = undefined
    })
    return this.reading
  }

  private async readMinimum(): Promise<VersionCap> {
    let minimum: number | undefined
    try {
      minimum = await this.versions.minimumComputeVersion()
    } catch (err) {
      // Not again before another interval; the first read has no cap to fall back on and fails.
      if (this.cached) this.cached = { ...this.cached, readAt: Date.now() }
      throw err
    }
    const cap = autoComputeCap(minimum)
    if (minimum === undefined) {
      this.cached = undefined
      return cap
    }
    if (minimum !== this.cached?.minimum) this.logChoice(minimum, cap)
    this.cached = { cap, minimum, readAt: Date.now() }
    return cap
  }

  private logChoice(minimum: number, cap: VersionCap): void {
    const fields = { minimum_service_version: minimum, compute_rpc_cap: cap.version ?? null }
    if (minimum > SERVICE_VERSION) {
      this.log.warn(fields, `${cap.origin}: sending compute RPC uncapped; upgrade this service`)
    } else if (computeRpcVersionFor(minimum).tooOld) {
      this.log.error(fields, `${cap.origin}: capping at compute RPC ${cap.version}; upgrade those computes`)
    } else {
      // Nova's wording.
      this.log.info(
        fields,
        `Automatically selected compute RPC version ${cap.version} from minimum service version ${minimum}`,
      )
    }
  }
}
