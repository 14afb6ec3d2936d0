import { parseIpAddress } from '../scheduler/ip-network.js'
import { Invalid } from '../shared/errors.js'
import { pyRepr } from '../shared/python.js'
import { nameField } from './nested-body.js'
import { type Check, stringCheck, validateBody } from './validation.js'

/** Nova's `ip_address`: an IPv4 or IPv6 address. */
const ipAddressCheck: Check = (v) => {
  if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`
  return parseIpAddress(v) ? undefined : `${pyRepr(v)} is not valid under any of the given schemas`
}

/** Nova's `name` (target_cell): its whole-message failure (not printable) is the 400 itself. */
const nameCheck: Check = (v) => {
  const problem = nameField(v)
  if (typeof problem === 'object') throw new Invalid(problem.whole)
  return problem
}

/**
 * The hints of Nova's `scheduler_hints` schema that this API validates here (`group` has its
 * own check); any other hint is allowed, as in Nova.
 */
export const HINTS_SCHEMA = {
  properties: {
    build_near_host_ip: ipAddressCheck,
    cidr: stringCheck(0, Number.POSITIVE_INFINITY, '^/[0-9a-f.:]+$'),
    target_cell: nameCheck,
  },
  additionalProperties: true,
} as const

/** Check the create body's scheduler hints as Nova's schema does. */
export function validateSchedulerHints(hints: Record<string, unknown>): void {
  validateBody(hints, HINTS_SCHEMA)
}
