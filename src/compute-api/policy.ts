import type { RequestContext } from '../shared/context.js'
import { PolicyNotAuthorized } from '../shared/errors.js'

/** The admin-only rule of Nova's default policy: anyone else gets 403 naming the rule. */
export function authorizeAdmin(ctx: RequestContext, rule: string): void {
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(rule)
}
