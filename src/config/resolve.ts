import { registry } from './options/index.js'
import { type Option, type OptionGroup, RuleError } from './options/types.js'
import { ConfigError, type ParsedConfigFile } from './parser.js'
import { substitute } from './substitute.js'

/** Values set in code, above every file, by group and option: `{ DEFAULT: { host: 'a' } }`. */
export type ConfigOverrides = Readonly<Record<string, Readonly<Record<string, string>>>>

const groups: Readonly<Record<string, OptionGroup>> = registry

/** The declared option, if `group` and `name` are one (never an inherited property such as `constructor`). */
export function declaredOption(group: string, name: string): Option<unknown> | undefined {
  if (!Object.hasOwn(groups, group)) return undefined
  const { options } = groups[group]!
  return Object.hasOwn(options, name) ? options[name] : undefined
}

type Origin =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'override' }
  | { readonly kind: 'default' }

function describeOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'file':
      return ` (${origin.path}:${origin.line})`
    case 'override':
      return ' (set in code)'
    case 'default':
      return ' (its default)'
  }
}

/**
 * Every option's value, each worked out once, when first asked for: the text it is given (code
 * overrides, else the last file that sets it, else its default), `$option`s substituted with
 * the final values of the options they name, then parsed, checked and resolved.
 */
export class OptionResolver {
  private readonly values = new Map<string, unknown>()
  /** The options being worked out, innermost last: a substitution that comes back is a loop. */
  private readonly underWay: string[] = []

  constructor(
    private readonly files: readonly ParsedConfigFile[],
    private readonly overrides: ConfigOverrides,
  ) {
    for (const [group, options] of Object.entries(overrides)) {
      for (const name of Object.keys(options)) {
        if (!declaredOption(group, name))
          throw new ConfigError(`Cannot override unknown option [${group}] ${name}`)
      }
    }
  }

  value(group: string, name: string): unknown {
    const key = `[${group}] ${name}`
    if (this.values.has(key)) return this.values.get(key)
    const option = declaredOption(group, name)
    if (!option) throw new ConfigError(`Unknown option ${key}`)
    if (this.underWay.includes(key)) {
      throw new ConfigError(`Option ${key} refers to itself: ${[...this.underWay, key].join(' → ')}`)
    }
    const { text, origin } = this.given(group, name, option)
    this.underWay.push(key)
    try {
      const substituted = substitute(text, (reference) => this.referenced(group, reference, key, origin))
      try {
        const parsed = option.parse(substituted)
        const value = option.resolve ? option.resolve(parsed, (g, n) => this.value(g, n)) : parsed
        this.values.set(key, value)
        return value
      } catch (err) {
        if (!(err instanceof RuleError)) throw err
        const shown = option.secret ? '***' : substituted
        throw new ConfigError(`Option ${key} must be ${err.rule}, got '${shown}'${describeOrigin(origin)}`)
      }
    } finally {
      this.underWay.pop()
    }
  }

  private given(group: string, name: string, option: Option<unknown>): { text: string; origin: Origin } {
    const override = this.overrides[group]?.[name]
    if (override !== undefined) return { text: override, origin: { kind: 'override' } }
    for (let i = this.files.length - 1; i >= 0; i--) {
      const file = this.files[i]!
      const set = file.groups.get(group)?.get(name)
      if (set) return { text: set.value, origin: { kind: 'file', path: file.path, line: set.line } }
    }
    return { text: option.render(option.default), origin: { kind: 'default' } }
  }

  /** `$name` is the option of the same group, else of [DEFAULT]; `$group.name` names its group. */
  private referenced(group: string, reference: string, from: string, origin: Origin): string {
    const dot = reference.indexOf('.')
    const [refGroup, refName] =
      dot >= 0
        ? [reference.slice(0, dot), reference.slice(dot + 1)]
        : [declaredOption(group, reference) ? group : 'DEFAULT', reference]
    const option = declaredOption(refGroup, refName)
    if (!option) {
      throw new ConfigError(
        `Option ${from} refers to $${reference}, which is no option tsnova knows (write $$ for a literal $)${describeOrigin(origin)}`,
      )
    }
    return option.render(this.value(refGroup, refName))
  }
}
