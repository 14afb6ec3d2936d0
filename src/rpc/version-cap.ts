/**
 * RPC API versions and the caps that make rolling upgrades possible (oslo.messaging's
 * `version_cap` and `can_send_version`, Nova's `[upgrade_levels]`). A client stub sends each
 * message with the version of the method form it uses; a cap says the newest version the
 * receivers understand, so a newer client keeps sending forms an older server accepts.
 */
import { ApiError } from '../shared/errors.js'

/**
 * One RPC API's version history, declared next to its client stub: the current version (what its
 * servers serve), and for each method the version that introduced the form the stub sends today.
 */
export interface RpcApiVersions<M extends string = string> {
  /** The API as named in messages and errors: `compute`, `conductor`, `compute_task`, `scheduler`. */
  readonly name: string
  readonly current: string
  readonly methods: Readonly<Record<M, string>>
  /** What each version changed, oldest first (Nova keeps this in the rpcapi docstring). */
  readonly history: readonly (readonly [version: string, change: string])[]
}

/** The cap in force: the newest version that may be sent, and where it came from (for messages). */
export interface VersionCap {
  /** Undefined: no cap, every method goes out in its current form. */
  readonly version: string | undefined
  /** E.g. `[upgrade_levels] compute = 6.0`, or how `auto` arrived at it. */
  readonly origin: string
}

/**
 * Where a client stub reads its cap before each message. A fixed cap answers at once; `auto`
 * answers from a cache it refreshes now and then, never with a database read per message.
 */
export interface VersionCapSource {
  current(): Promise<VersionCap>
}

export const NO_VERSION_CAP: VersionCap = { version: undefined, origin: 'no version cap' }

export function fixedVersionCap(cap: VersionCap): VersionCapSource {
  const answer = Promise.resolve(cap)
  return { current: () => answer }
}

export const UNCAPPED: VersionCapSource = fixedVersionCap(NO_VERSION_CAP)

/**
 * A client was asked to send a version above its cap (oslo's RPCVersionCapError): raised before
 * anything is sent, because the servers the cap stands for would refuse it.
 */
export class RpcVersionCapError extends ApiError {
  constructor(api: string, method: string, needed: string, cap: VersionCap) {
    super(
      `Cannot send ${method} to ${api}: it needs RPC version ${needed}, above the version cap ${cap.version} (${cap.origin}); upgrade the ${api} services first, or raise the cap`,
    )
  }
}

const VERSION = /^(\d+)\.(\d+)$/

export function parseVersion(version: string): { major: number; minor: number } {
  const m = VERSION.exec(version)
  if (!m) throw new Error(`Not an RPC version (X.Y): '${version}'`)
  return { major: Number(m[1]), minor: Number(m[2]) }
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a)
  const vb = parseVersion(b)
  return va.major - vb.major || va.minor - vb.minor
}

/**
 * oslo's `version_is_compatible`: a server at `served` handles a message of version `requested`
 * when the majors match and its minor is at least the requested one. A version without a minor
 * ("6") counts as "6.0", as oslo reads it.
 */
export function versionCompatible(served: string, requested: string): boolean {
  const [sMaj, sMin = 0] = served.split('.').map(Number)
  const [rMaj, rMin = 0] = requested.split('.').map(Number)
  return sMaj === rMaj && sMin! >= rMin!
}

/** oslo's `can_send_version`: whatever the servers at the cap would accept (everything, uncapped). */
export function canSendVersion(cap: VersionCap, version: string): boolean {
  return cap.version === undefined || versionCompatible(cap.version, version)
}

/** The services `[upgrade_levels]` caps: each option holds empty, `auto` or `X.Y`. */
export type UpgradeLevelService = 'compute' | 'conductor' | 'scheduler'

/**
 * What one `[upgrade_levels]` option means. `X.Y` caps at that version; empty is no cap. `auto`
 * follows the oldest running service for compute (`autoCompute`, which only a process with the
 * cell database can give); for conductor and scheduler it is no cap, because Nova's upgrade
 * order brings the control plane (conductor, scheduler) to the new release before any compute.
 */
export function upgradeLevelCap(
  service: UpgradeLevelService,
  value: string,
  autoCompute?: () => VersionCapSource,
): VersionCapSource {
  const option = `[upgrade_levels] ${service}`
  if (value === '') return fixedVersionCap({ version: undefined, origin: `${option} unset` })
  if (value === 'auto') {
    if (service !== 'compute') {
      return fixedVersionCap({
        version: undefined,
        origin: `${option} = auto, which is no cap: ${service} is upgraded before the computes`,
      })
    }
    if (!autoCompute) {
      throw new Error(`${option} = auto needs the cell database to find the oldest nova-compute`)
    }
    return autoCompute()
  }
  parseVersion(value)
  return fixedVersionCap({ version: value, origin: `${option} = ${value}` })
}
