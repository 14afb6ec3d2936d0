import type { HostWeigher } from './weigher.js'

/**
 * Recent failed builds on the host (consecutive, as its compute reports them) push it down:
 * the multiplier (1,000,000 by default) is negated, so any failure outweighs free resources.
 */
export const BuildFailureWeigher: HostWeigher = {
  name: 'BuildFailureWeigher',
  path: 'compute.BuildFailureWeigher',
  multiplierOption: 'build_failure_weight_multiplier',
  multiplier: (o) => o.buildFailureWeightMultiplier,
  negated: true,
  scores: (hosts, _req, out) => {
    let any = false
    for (let i = 0; i < hosts.length; i++) {
      const v = hosts[i]!.failed_builds
      out[i] = v
      if (v !== 0) any = true
    }
    // No failures anywhere: every host scores 0, which normalises to nothing.
    return any
  },
}
