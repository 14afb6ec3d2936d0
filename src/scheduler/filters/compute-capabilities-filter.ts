import { type HostState, hasHostAttribute, hostAttribute } from '../host-state.js'
import { matchExtraSpec, pyStr } from './extra-specs-ops.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

interface Requirement {
  readonly key: string
  /** An unscoped key: checked only when the host has such an attribute or stat. */
  readonly unscoped: boolean
  readonly scope: readonly string[]
  readonly req: string
}

/**
 * Flavor extra specs against what the host reports: `capabilities:<attr>[:<key>…]` keys, and
 * unscoped keys naming a HostState attribute or a compute stat (others are ignored, as in Nova).
 * Values use the extra-specs operators (`>= 4`, `s== kvm`, `<in> avx2`, `<or> a <or> b`).
 */
export const ComputeCapabilitiesFilter: HostFilter = {
  name: 'ComputeCapabilitiesFilter',
  check: ({ spec }) => {
    const specs: Record<string, string> = { ...(spec.flavor.extra_specs ?? {}) }
    const bits = specs['hw:maxphysaddr_bits']
    if (bits !== undefined) {
      specs['capabilities:cpu_info:maxphysaddr:bits'] = `>= ${bits}`
      delete specs['hw:maxphysaddr_bits']
    }
    const reqs: Requirement[] = []
    for (const [key, req] of Object.entries(specs)) {
      const scope = key.split(':')
      if (scope.length === 1) reqs.push({ key, unscoped: true, scope, req })
      else if (scope[0] === 'capabilities') reqs.push({ key, unscoped: false, scope: scope.slice(1), req })
    }
    if (reqs.length === 0) return undefined
    const failing = (h: HostState): { r: Requirement; cap: unknown } | undefined => {
      for (const r of reqs) {
        // An unscoped key that is neither an attribute nor a stat of the host is not for us.
        if (r.unscoped && !isKnown(h, r.key)) continue
        const cap = capability(h, r.scope)
        if (cap === undefined || cap === null) return { r, cap: undefined }
        if (!matchExtraSpec(pyStr(cap), r.req)) return { r, cap }
      }
      return undefined
    }
    return {
      passes: (h) => failing(h) === undefined,
      why: (rejected) => {
        const byKey = new Map<string, { req: string; has: string[] }>()
        for (const h of rejected) {
          const f = failing(h)
          if (!f) continue
          const entry = byKey.get(f.r.key) ?? { req: f.r.req, has: [] }
          entry.has.push(f.cap === undefined ? 'nothing' : `'${pyStr(f.cap)}'`)
          byKey.set(f.r.key, entry)
        }
        return [...byKey]
          .map(([key, e]) => `extra spec ${key}='${e.req}' not met (hosts have ${someOf(e.has)})`)
          .join(', ')
      },
    }
  },
}

function isKnown(h: HostState, key: string): boolean {
  return hasHostAttribute(key) || Object.hasOwn(h.stats, key)
}

/** Nova's `_get_capabilities`: walk attributes, then compute stats, then (JSON) dict keys. */
function capability(h: HostState, scope: readonly string[]): unknown {
  let cap: unknown = h
  for (const part of scope) {
    if (typeof cap === 'string') {
      try {
        cap = JSON.parse(cap)
      } catch {
        return undefined
      }
    }
    if (cap === h) {
      const v = hostAttribute(h, part)
      cap = v === undefined || v === null ? (Object.hasOwn(h.stats, part) ? h.stats[part] : undefined) : v
    } else if (cap && typeof cap === 'object' && !Array.isArray(cap)) {
      const o = cap as Record<string, unknown>
      cap = Object.hasOwn(o, part) ? o[part] : undefined
    } else {
      return undefined
    }
    if (cap === undefined || cap === null) return undefined
  }
  return cap
}
