import type { HostWeigher } from './weigher.js'

/** More free RAM weighs more: spreads by default; a negative multiplier stacks. */
export function ramWeigher(multiplier: number): HostWeigher {
  return { name: 'RAMWeigher', multiplier, weigh: (host) => host.freeRamMb }
}
