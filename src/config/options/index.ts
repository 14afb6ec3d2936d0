import { apiGroups } from './api.js'
import { consoleGroups } from './consoles.js'
import { defaultGroup } from './default.js'
import { fakeGroup } from './fake.js'
import { messagingGroups } from './messaging.js'
import { schedulerGroups } from './scheduler.js'
import type { OptionGroup, ValueOf } from './types.js'

/** Every option tsnova reads from nova.conf, by group. */
export const registry = {
  ...defaultGroup,
  ...apiGroups,
  ...messagingGroups,
  ...schedulerGroups,
  ...consoleGroups,
  ...fakeGroup,
} satisfies Record<string, OptionGroup>

type Registry = typeof registry
export type GroupName = keyof Registry

type Values<G extends OptionGroup> = { readonly [K in keyof G['options']]: ValueOf<G['options'][K]> }

/**
 * The options as the services read them: `[DEFAULT]` at the top level (`config.host`), every
 * other group by its name (`config.database.connection`).
 */
export type Config = Values<Registry['DEFAULT']> & {
  readonly [G in Exclude<GroupName, 'DEFAULT'>]: Values<Registry[G]>
}

// A [DEFAULT] option named like a group would be two things at one place in the Config.
type Clashes = Extract<keyof Registry['DEFAULT']['options'], GroupName>
const noClash: [Clashes] extends [never] ? true : Clashes = true
void noClash
