import type { HostState } from '../host-state.js'
import type { HostFilter } from './filter.js'
import { someOf } from './filter.js'

/** Only hosts whose nova-compute is enabled and up (heartbeat within service_down_time, not forced down). */
export const ComputeFilter: HostFilter = {
  name: 'ComputeFilter',
  check: ({ options, now }) => ({
    passes: (h) => h.service !== undefined && !h.service.disabled && h.isUp(options.serviceDownTimeS, now),
    why: (rejected) => {
      const missing: HostState[] = []
      const disabled: HostState[] = []
      const forced: HostState[] = []
      const silent: HostState[] = []
      for (const h of rejected) {
        if (!h.service) missing.push(h)
        else if (h.service.disabled) disabled.push(h)
        else if (h.service.forced_down) forced.push(h)
        else silent.push(h)
      }
      const parts: string[] = []
      if (disabled.length > 0) {
        const reasons = disabled.map((h) => h.service?.disabled_reason).filter((r): r is string => !!r)
        parts.push(`${disabled.length} disabled${reasons.length > 0 ? ` (${someOf(reasons, 2)})` : ''}`)
      }
      if (forced.length > 0) parts.push(`${forced.length} forced down`)
      if (silent.length > 0) {
        const ages = silent.map((h) => (now - (h.service?.lastSeenMs ?? Number.NaN)) / 1000)
        const newest = Math.min(...ages.map((a) => (Number.isNaN(a) ? Number.POSITIVE_INFINITY : a)))
        const heard = Number.isFinite(newest) ? `, last heard ${Math.round(newest)} s ago` : ''
        parts.push(
          `${silent.length} down (no heartbeat within service_down_time ${options.serviceDownTimeS} s${heard})`,
        )
      }
      if (missing.length > 0) parts.push(`${missing.length} with no nova-compute service`)
      return parts.join(', ')
    },
  }),
}
