import type { Logger } from '../../shared/logger.js'
import { aggregateValues } from '../filters/aggregates.js'
import type { FilterOptions, FilterRequest } from '../filters/filter.js'
import { someOf } from '../filters/filter.js'
import type { HostState } from '../host-state.js'

/**
 * A weigher by Nova's name: a raw score per host, normalised over the candidates, times a
 * multiplier (a nova.conf option, which an aggregate's metadata key of the same name overrides
 * for its hosts, the smallest value winning).
 */
export interface HostWeigher {
  readonly name: string
  /** Nova's module path under nova.scheduler.weights (for `weight_classes`). */
  readonly path: string
  /** The `[filter_scheduler]` option (and aggregate metadata key) holding the multiplier. */
  readonly multiplierOption: string
  multiplier(options: FilterOptions): number
  /** BuildFailureWeigher's multiplier counts against: Nova negates it. */
  readonly negated?: boolean
  /** Scores are clamped to these before normalising, and the range starts/ends there. */
  readonly minval?: number
  readonly maxval?: number
  /**
   * Each host's raw score for one request, into `out` (one loop per weigher keeps the hot path
   * monomorphic); false when every host would score the same, so the weigher adds nothing.
   */
  scores(hosts: readonly HostState[], req: FilterRequest, out: Float64Array): boolean
}

/**
 * Nova's `normalize`: (v - lo) / (hi - lo), where lo/hi are the weigher's minval/maxval if it
 * has them, else the smallest/largest score; all 0 when lo equals hi.
 */
export function normalize(values: ArrayLike<number>, minval?: number, maxval?: number): Float64Array {
  const n = values.length
  const out = new Float64Array(n)
  if (n === 0) return out
  let lo = minval
  let hi = maxval
  if (lo === undefined || hi === undefined) {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (let i = 0; i < n; i++) {
      const v = values[i]!
      if (v < min) min = v
      if (v > max) max = v
    }
    lo ??= min
    hi ??= max
  }
  if (lo === hi) return out
  const range = hi - lo
  for (let i = 0; i < n; i++) out[i] = (values[i]! - lo) / range
  return out
}

/** Python's float literal: digits with single `_` between them, a fraction, an exponent. */
const DIGITS = '\\d(?:_?\\d)*'
const PYTHON_DECIMAL = new RegExp(
  `^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
)

/**
 * An aggregate metadata value as a multiplier, read as Python's `float()` reads it (surrounding
 * blanks, `_` between digits, exponents); undefined when it is not a number. Unlike Python,
 * `inf` and `nan` are refused too: either would turn every weight into NaN.
 */
export function parseMultiplier(text: string): number | undefined {
  const s = text.trim()
  if (!PYTHON_DECIMAL.test(s)) return undefined
  const v = Number(s.replaceAll('_', ''))
  return Number.isFinite(v) ? v : undefined
}

/**
 * Nova's `get_weight_multiplier`: the smallest value the host's aggregates give the option's key,
 * else the option's value. One value that is not a number voids them all (Nova's cast of the
 * set fails as a whole): the option's value is used, and `onInvalid` hears the culprit.
 */
export function multiplierFor(
  host: HostState,
  option: string,
  configured: number,
  onInvalid?: (value: string) => void,
): number {
  if (host.aggregates.length === 0) return configured
  let smallest = Number.POSITIVE_INFINITY
  for (const text of aggregateValues(host, option)) {
    const v = parseMultiplier(text)
    if (v === undefined) {
      onInvalid?.(text)
      return configured
    }
    if (v < smallest) smallest = v
  }
  return smallest === Number.POSITIVE_INFINITY ? configured : smallest
}

/** Whether any of the hosts is in an aggregate that sets this multiplier. */
function anyOverride(hosts: readonly HostState[], option: string): boolean {
  for (const h of hosts) for (const a of h.aggregates) if (Object.hasOwn(a.metadata, option)) return true
  return false
}

/** Raw scores, reused from one weighing to the next (weighing never awaits). */
let scratch = new Float64Array(1024)

/**
 * The total weight of each host (same order as `hosts`): for each weigher, the raw scores
 * (clamped to minval/maxval), normalised over all the hosts, times each host's own multiplier
 * (Nova's `get_weighed_objects`: an aggregate's multiplier scales its hosts' normalised score,
 * it never changes the normalisation), summed. Aggregate multipliers that are not numbers are
 * logged once per weigher and request, as Nova warns.
 */
export function weighHosts(
  hosts: readonly HostState[],
  req: FilterRequest,
  weighers: readonly HostWeigher[],
  log?: Pick<Logger, 'warn'>,
): Float64Array {
  const n = hosts.length
  const totals = new Float64Array(n)
  if (n <= 1) return totals
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2))
  const raw = scratch.subarray(0, n)
  // Most clouds put few hosts in aggregates: one look spares each weigher a scan of them all.
  const anyAggregates = hosts.some((h) => h.aggregates.length > 0)
  for (const w of weighers) {
    const configured = w.multiplier(req.options)
    const overridden = anyAggregates && anyOverride(hosts, w.multiplierOption)
    // A zero multiplier that no aggregate overrides adds nothing.
    if (configured === 0 && !overridden) continue
    if (!w.scores(hosts, req, raw)) continue
    // Clamp to minval/maxval and find the range in one pass; then add multiplier × normalised.
    const floor = w.minval ?? Number.NEGATIVE_INFINITY
    const ceil = w.maxval ?? Number.POSITIVE_INFINITY
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (let i = 0; i < n; i++) {
      let v = raw[i]!
      if (v < floor) raw[i] = v = floor
      else if (v > ceil) raw[i] = v = ceil
      if (v < min) min = v
      if (v > max) max = v
    }
    const lo = w.minval ?? min
    const hi = w.maxval ?? max
    if (lo === hi) continue // all normalise to 0
    const range = hi - lo
    const sign = w.negated ? -1 : 1
    if (!overridden) {
      const m = (sign * configured) / range
      for (let i = 0; i < n; i++) totals[i]! += m * (raw[i]! - lo)
      continue
    }
    const invalid = new Map<string, string[]>()
    const invalidOn = (host: string) => (value: string) => {
      const hostsWithValue = invalid.get(value) ?? []
      invalid.set(value, hostsWithValue)
      hostsWithValue.push(host)
    }
    for (let i = 0; i < n; i++) {
      const h = hosts[i]!
      const m = sign * multiplierFor(h, w.multiplierOption, configured, log && invalidOn(h.host))
      totals[i]! += (m * (raw[i]! - lo)) / range
    }
    if (log && invalid.size > 0) warnInvalid(log, w.multiplierOption, configured, invalid)
  }
  return totals
}

function warnInvalid(
  log: Pick<Logger, 'warn'>,
  option: string,
  configured: number,
  invalid: ReadonlyMap<string, readonly string[]>,
): void {
  for (const [value, hosts] of invalid) {
    log.warn(
      { option, value, hosts: someOf(hosts), configured },
      `Could not decode '${option}' weight multiplier: aggregate metadata value '${value}' is not a number; using the configured ${configured}`,
    )
  }
}

/**
 * The indices of the `k` heaviest hosts, heaviest first; among equal weights the earlier host
 * first (Nova's stable descending sort). Linear in the number of hosts for a small `k`.
 */
export function topIndices(weights: Float64Array, k: number, exclude?: ReadonlySet<number>): number[] {
  const top: number[] = []
  if (k <= 0) return top
  for (let i = 0; i < weights.length; i++) {
    if (exclude?.has(i)) continue
    const w = weights[i]!
    if (top.length === k && w <= weights[top[k - 1]!]!) continue
    // Insert after every index of greater or equal weight (those came first).
    let pos = top.length
    while (pos > 0 && weights[top[pos - 1]!]! < w) pos--
    top.splice(pos, 0, i)
    if (top.length > k) top.pop()
  }
  return top
}
