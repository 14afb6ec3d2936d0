import type { RequestSpec } from '../../objects/instance.js'
import type { HostState } from '../host-state.js'
import type { SchedulerOptions } from '../options.js'

/**
 * One request as the filters see it: the spec, the options, the time of the request, and what
 * had to be read from the database first (the hosts of the instances that hints and the server
 * group name), so a filter itself never waits on anything.
 */
export interface FilterRequest {
  readonly spec: RequestSpec
  readonly options: FilterOptions
  /** Epoch ms the request is judged at (service liveness). */
  readonly now: number
  /** Instance uuid → host, for the uuids named by same_host / different_host / the group's members. */
  readonly instanceHosts: ReadonlyMap<string, string>
}

export type FilterOptions = Omit<SchedulerOptions, 'cellUuid' | 'enabledFilters' | 'weightClasses'>

/** A check of one host against one request; `why` says, for the no-valid-host fault, what failed. */
export interface HostCheck {
  passes(host: HostState): boolean
  /** A short, specific reason the `rejected` hosts (never empty) failed. */
  why(rejected: readonly HostState[]): string
}

/**
 * A filter by Nova's name. `check` prepares the filter for one request (parsing hints, flavor
 * extra specs, …) and answers undefined when the request gives it nothing to check, so the
 * scheduler skips it rather than calling it for every host.
 */
export interface HostFilter {
  readonly name: string
  check(req: FilterRequest): HostCheck | undefined
}

/** The values of a scheduler hint as a list of strings (Nova's RequestSpec keeps hints as lists). */
export function hintList(spec: RequestSpec, name: string): string[] {
  const v = Object.hasOwn(spec.scheduler_hints, name) ? spec.scheduler_hints[name] : undefined
  if (v === undefined || v === null || v === '') return []
  const values = Array.isArray(v) ? v : [v]
  return values.filter((x): x is string => typeof x === 'string' && x !== '')
}

/** One scheduler hint's value, as Nova's `get_scheduler_hint`: a one-element list is its element. */
export function hintValue(spec: RequestSpec, name: string): unknown {
  const v = Object.hasOwn(spec.scheduler_hints, name) ? spec.scheduler_hints[name] : undefined
  if (Array.isArray(v) && v.length === 1) return v[0]
  return v
}

/** The largest of some numbers, floored, for "most free is N" (0 for none). */
export function maxOf(hosts: readonly HostState[], f: (h: HostState) => number): number {
  let best = Number.NEGATIVE_INFINITY
  for (const h of hosts) {
    const v = f(h)
    if (v > best) best = v
  }
  return hosts.length === 0 ? 0 : Math.floor(best)
}

/** Up to `n` distinct values, quoted and joined, with "…" when there were more. */
export function someOf(values: Iterable<string>, n = 3): string {
  const distinct = [...new Set(values)]
  const shown = distinct.slice(0, n).join(', ')
  return distinct.length > n ? `${shown}, … (${distinct.length} in all)` : shown
}

/** A hint value quoted for a message, cut short when long. */
export function brief(value: string, max = 60): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value
}
