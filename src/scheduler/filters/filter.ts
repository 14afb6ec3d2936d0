import type { RequestSpec } from '../../objects/instance.js'
import type { HostState } from '../host-state.js'

/** A yes/no check of one host for one request. `why` says, for the no-valid-host fault, what failed. */
export interface HostFilter {
  readonly name: string
  passes(host: HostState, spec: RequestSpec): boolean
  why(hosts: readonly HostState[], spec: RequestSpec): string
}
