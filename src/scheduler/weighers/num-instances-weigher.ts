import type { HostWeigher } from './weigher.js'

/** Instances on the host; multiplier 0.0 by default (off), negative to prefer emptier hosts. */
export const NumInstancesWeigher: HostWeigher = {
  name: 'NumInstancesWeigher',
  path: 'num_instances.NumInstancesWeigher',
  multiplierOption: 'num_instances_weight_multiplier',
  multiplier: (o) => o.numInstancesWeightMultiplier,
  scores: (hosts, _req, out) => {
    for (let i = 0; i < hosts.length; i++) out[i] = hosts[i]!.num_instances
    return true
  },
}
