import type { HostState } from '../host-state.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

/**
 * The image's `hw_architecture`, `img_hv_type`, `hw_vm_mode` against the host's
 * supported_instances ([arch, hv_type, vm_mode] triples), `img_hv_requested_version` against
 * its hypervisor_version, `hw_maxphysaddr_bits` against its CPU. An image without these passes
 * everywhere; so does a host that does not report supported_instances (no compute does yet:
 * Nova would refuse such a host).
 */
export const ImagePropertiesFilter: HostFilter = {
  name: 'ImagePropertiesFilter',
  check: ({ spec, options }) => {
    const props = spec.image?.properties ?? {}
    const str = (k: string): string | undefined => {
      const v = props[k]
      return v === undefined || v === null || v === '' ? undefined : String(v)
    }
    const arch = canonicalArch(
      str('hw_architecture') ?? options.imagePropertiesDefaultArchitecture ?? undefined,
    )
    const hvType = canonicalHvType(str('img_hv_type'))
    const vmMode = canonicalVmMode(str('hw_vm_mode'))
    const wanted = [arch, hvType, vmMode]
    if (!wanted.some(Boolean)) return undefined
    const version = str('img_hv_requested_version')
    const bits = str('hw_maxphysaddr_bits')
    const passes = (h: HostState): boolean => {
      const supported = h.supported_instances
      if (supported === undefined) return true
      return supported.some(
        (triple) =>
          wanted.every((w) => !w || triple.includes(w)) &&
          versionSatisfied(h.hypervisor_version, version) &&
          bitsSatisfied(h, bits),
      )
    }
    const asked = [
      arch && `hw_architecture=${arch}`,
      hvType && `img_hv_type=${hvType}`,
      vmMode && `hw_vm_mode=${vmMode}`,
      version && `img_hv_requested_version ${version}`,
    ].filter(Boolean)
    return {
      passes,
      why: (rejected) =>
        `image wants ${asked.join(', ')}; hosts support ${
          someOf(rejected.flatMap((h) => (h.supported_instances ?? []).map((t) => t.join('/')))) || 'nothing'
        }`,
    }
  },
}

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  i386: 'i686',
  i486: 'i686',
  i586: 'i686',
  x86_32: 'i686',
  ia32: 'i686',
  amd64: 'x86_64',
  x64: 'x86_64',
  arm64: 'aarch64',
  powerpc: 'ppc',
  powerpc64: 'ppc64',
  ppc64el: 'ppc64le',
}

function canonicalArch(v: string | undefined): string | undefined {
  if (!v) return undefined
  const a = v.toLowerCase()
  return ARCH_ALIASES[a] ?? a
}

function canonicalHvType(v: string | undefined): string | undefined {
  if (!v) return undefined
  const t = v.toLowerCase()
  return t === 'xapi' ? 'xen' : t
}

function canonicalVmMode(v: string | undefined): string | undefined {
  if (!v) return undefined
  const m = v.toLowerCase()
  if (m === 'pv') return 'xen'
  if (m === 'hv' || m === 'baremetal') return 'hvm'
  return m
}

/** Nova's hypervisor_version integer (e.g. 6002001) as "6.2.1". */
function versionString(v: number): string {
  const parts: number[] = []
  let n = Math.trunc(v)
  do {
    parts.unshift(n % 1000)
    n = Math.trunc(n / 1000)
  } while (n > 0)
  return parts.join('.')
}

/** oslo's VersionPredicate: comma-separated `<op><version>` terms, all of which must hold. */
function versionSatisfied(hypervisorVersion: number, predicate: string | undefined): boolean {
  if (!predicate || !hypervisorVersion) return true
  const have = versionString(hypervisorVersion).split('.').map(Number)
  return predicate.split(',').every((term) => {
    const m = /^\s*(>=|<=|==|!=|>|<)?\s*([\d.]+)\s*$/.exec(term)
    if (!m) return false
    const want = m[2]!.split('.').map(Number)
    const cmp = compareVersions(have, want)
    switch (m[1] ?? '==') {
      case '>=':
        return cmp >= 0
      case '<=':
        return cmp <= 0
      case '>':
        return cmp > 0
      case '<':
        return cmp < 0
      case '!=':
        return cmp !== 0
      default:
        return cmp === 0
    }
  })
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

function bitsSatisfied(h: HostState, required: string | undefined): boolean {
  if (!required) return true
  let cpu: unknown
  try {
    cpu = JSON.parse(h.cpu_info)
  } catch {
    return true
  }
  const bits = (cpu as { maxphysaddr?: { bits?: number } } | null)?.maxphysaddr?.bits
  return !bits || bits >= Number(required)
}
