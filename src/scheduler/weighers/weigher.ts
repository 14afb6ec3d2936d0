import type { RequestSpec } from '../../objects/instance.js'
import type { HostState } from '../host-state.js'

/** A raw score per host; scores are normalised to 0..1 across hosts, then multiplied. */
export interface HostWeigher {
  readonly name: string
  readonly multiplier: number
  weigh(host: HostState, spec: RequestSpec): number
}

/** Nova's normalisation: (x - min) / (max - min), all 0 when every host scores the same. */
export function normalize(values: readonly number[]): number[] {
  if (values.length === 0) return []
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  if (hi === lo) return values.map(() => 0)
  return values.map((v) => (v - lo) / (hi - lo))
}

export interface WeighedHost {
  readonly host: HostState
  readonly weight: number
}

export function weighHosts(
  hosts: readonly HostState[],
  spec: RequestSpec,
  weighers: readonly HostWeigher[],
): WeighedHost[] {
  const totals = hosts.map(() => 0)
  for (const w of weighers) {
    const norm = normalize(hosts.map((h) => w.weigh(h, spec)))
    norm.forEach((v, i) => {
      totals[i]! += v * w.multiplier
    })
  }
  return hosts.map((host, i) => ({ host, weight: totals[i]! })).sort((a, b) => b.weight - a.weight)
}
