import type { HostWeigher } from './weigher.js'

/** I/O-heavy operations under way; the default multiplier -1.0 prefers idle hosts. */
export const IoOpsWeigher: HostWeigher = {
  name: 'IoOpsWeigher',
  path: 'io_ops.IoOpsWeigher',
  multiplierOption: 'io_ops_weight_multiplier',
  multiplier: (o) => o.ioOpsWeightMultiplier,
  minval: 0,
  scores: (hosts, _req, out) => {
    for (let i = 0; i < hosts.length; i++) out[i] = hosts[i]!.num_io_ops
    return true
  },
}
