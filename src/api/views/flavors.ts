import type { Flavor } from '../../objects/flavor.js'
import type { ApiVersion } from '../microversion.js'
import { resourceLinks } from './links.js'

export function flavorSummary(f: Flavor, baseUrl: string, v: ApiVersion) {
  return {
    id: f.flavorid,
    name: f.name,
    links: resourceLinks(baseUrl, 'flavors', f.flavorid),
    ...(v.atLeast('2.55') ? { description: f.description } : {}),
  }
}

export function flavorDetail(f: Flavor, baseUrl: string, v: ApiVersion) {
  return {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    // Nova shows no swap as "" until 2.75, as 0 from then on.
    swap: f.swap === 0 && !v.atLeast('2.75') ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': f.disabled,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public,
    rxtx_factor: f.rxtx_factor,
    links: resourceLinks(baseUrl, 'flavors', f.flavorid),
    ...(v.atLeast('2.55') ? { description: f.description } : {}),
    ...(v.atLeast('2.61') ? { extra_specs: f.extra_specs } : {}),
  }
}
