import type { HostWeigher } from './weigher.js'

/** Free RAM (not ratio-scaled; negative when overcommitted): spreads by default, stacks when negative. */
export const RAMWeigher: HostWeigher = {
  name: 'RAMWeigher',
  path: 'ram.RAMWeigher',
  multiplierOption: 'ram_weight_multiplier',
  multiplier: (o) => o.ramWeightMultiplier,
  minval: 0,
  scores: (hosts, _req, out) => {
    for (let i = 0; i < hosts.length; i++) out[i] = hosts[i]!.free_ram_mb
    return true
  },
}

/** Free vCPUs: vcpus × cpu_allocation_ratio - used. */
export const CPUWeigher: HostWeigher = {
  name: 'CPUWeigher',
  path: 'cpu.CPUWeigher',
  multiplierOption: 'cpu_weight_multiplier',
  multiplier: (o) => o.cpuWeightMultiplier,
  minval: 0,
  scores: (hosts, _req, out) => {
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i]!
      out[i] = h.vcpus_total * h.cpu_allocation_ratio - h.vcpus_used
    }
    return true
  },
}

/** Free disk in MB. */
export const DiskWeigher: HostWeigher = {
  name: 'DiskWeigher',
  path: 'disk.DiskWeigher',
  multiplierOption: 'disk_weight_multiplier',
  multiplier: (o) => o.diskWeightMultiplier,
  minval: 0,
  scores: (hosts, _req, out) => {
    for (let i = 0; i < hosts.length; i++) out[i] = hosts[i]!.free_disk_mb
    return true
  },
}
