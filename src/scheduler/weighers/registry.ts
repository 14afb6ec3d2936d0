import { ServerGroupSoftAffinityWeigher, ServerGroupSoftAntiAffinityWeigher } from './affinity-weighers.js'
import { BuildFailureWeigher } from './build-failure-weigher.js'
import { IoOpsWeigher } from './io-ops-weigher.js'
import { NumInstancesWeigher } from './num-instances-weigher.js'
import { CPUWeigher, DiskWeigher, RAMWeigher } from './resource-weighers.js'
import type { HostWeigher } from './weigher.js'

/** Every weigher, in the order `nova.scheduler.weights.all_weighers` runs them. */
export const WEIGHERS: readonly HostWeigher[] = [
  ServerGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher,
  BuildFailureWeigher,
  CPUWeigher,
  DiskWeigher,
  IoOpsWeigher,
  NumInstancesWeigher,
  RAMWeigher,
]

const ALL = 'nova.scheduler.weights.all_weighers'
const PREFIX = 'nova.scheduler.weights.'

/**
 * `[filter_scheduler] weight_classes`: `nova.scheduler.weights.all_weighers`, or weighers by
 * their Nova class path (`nova.scheduler.weights.ram.RAMWeigher`) or class name (`RAMWeigher`).
 * An unknown name is a configuration error, raised at start-up with the valid names.
 */
export function resolveWeighers(classes: readonly string[]): HostWeigher[] {
  const out: HostWeigher[] = []
  const unknown: string[] = []
  for (const name of classes) {
    if (name === ALL) {
      for (const w of WEIGHERS) if (!out.includes(w)) out.push(w)
      continue
    }
    const w = WEIGHERS.find((x) => name === x.name || name === PREFIX + x.path)
    if (!w) unknown.push(name)
    else if (!out.includes(w)) out.push(w)
  }
  if (unknown.length > 0) {
    throw new Error(
      `Unknown weigher(s) in [filter_scheduler] weight_classes: ${unknown.join(', ')}. Valid: ${ALL}, ${WEIGHERS.map(
        (w) => PREFIX + w.path,
      ).join(', ')}`,
    )
  }
  return out
}
