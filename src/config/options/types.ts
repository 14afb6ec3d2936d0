/**
 * The kinds of option nova.conf holds, as oslo.config types them (StrOpt, IntOpt, FloatOpt,
 * BoolOpt, ListOpt, PortOpt, StrOpt with choices). Each option is declared once, with what it
 * takes to read it, check it, document it and show it in a sample file.
 */

/** A value broke its option's rule; `rule` completes "must be …" in the message that names the option. */
export class RuleError extends Error {
  constructor(readonly rule: string) {
    super(`must be ${rule}`)
  }
}

export type OptionType = 'string' | 'integer' | 'float' | 'boolean' | 'list' | 'port'

/** The value of another option, by group and name (for rules that span options). */
export type OtherOption = (group: string, name: string) => unknown

export interface Option<T> {
  readonly type: OptionType
  readonly default: T
  /** One or two sentences: what the option does, in the words of the sample file and the docs. */
  readonly help: string
  /** Its value may carry credentials: never shown in messages. */
  readonly secret: boolean
  /** Unset (an empty value) means "none": the value is null. */
  readonly optional: boolean
  readonly min?: number
  readonly max?: number
  /** The only values allowed, each with what it means. */
  readonly choices?: Readonly<Record<string, string>>
  /** The form a string value must have (a version `X.Y`, say). */
  readonly format?: StringFormat
  /** What the docs show as the default when the real one is the machine's (its hostname, its IP). */
  readonly sampleDefault?: string
  /** The text of a value (already substituted) to the value; throws a RuleError. */
  parse(text: string): T
  /** The value as nova.conf would spell it: for `$option` substitution and the sample file. */
  render(value: T): string
  /** The value as the services use it (a default taken from the machine, a path made absolute). */
  resolve?(value: T, other: OtherOption): T
}

export type ValueOf<O> = O extends Option<infer T> ? T : never

export interface OptionGroup {
  readonly help: string
  readonly options: Readonly<Record<string, Option<unknown>>>
}

interface Described {
  readonly help: string
  readonly secret?: boolean
  readonly sampleDefault?: string
}

interface Bounds {
  readonly min?: number
  readonly max?: number
}

/** A format a string value must have, and how a message spells it ("must be …"). */
export interface StringFormat {
  readonly pattern: RegExp
  readonly rule: string
}

function described(spec: Described): Pick<Option<unknown>, 'help' | 'secret' | 'sampleDefault'> {
  return { help: spec.help, secret: spec.secret ?? false, sampleDefault: spec.sampleDefault }
}

export function string(
  spec: Described & {
    readonly default: string
    readonly format?: StringFormat
    readonly resolve?: (value: string, other: OtherOption) => string
  },
): Option<string> {
  const { format } = spec
  return {
    ...described(spec),
    type: 'string',
    default: spec.default,
    optional: false,
    format,
    parse: (text) => {
      if (format && !format.pattern.test(text)) throw new RuleError(format.rule)
      return text
    },
    render: (value) => value,
    resolve: spec.resolve,
  }
}

/** A string whose empty value means "none" (null), as an oslo StrOpt without a default. */
export function optionalString(spec: Described): Option<string | null> {
  return {
    ...described(spec),
    type: 'string',
    default: null,
    optional: true,
    parse: (text) => (text === '' ? null : text),
    render: (value) => value ?? '',
  }
}

/** A string out of a fixed set, case-sensitive as oslo's choices are. */
export function choice<const C extends string>(
  spec: Described & { readonly choices: Readonly<Record<C, string>>; readonly default: NoInfer<C> },
): Option<C> {
  const allowed: readonly string[] = Object.keys(spec.choices)
  const isChoice = (text: string): text is C => allowed.includes(text)
  return {
    ...described(spec),
    type: 'string',
    default: spec.default,
    optional: false,
    choices: spec.choices,
    parse: (text) => {
      if (!isChoice(text)) throw new RuleError(`one of ${allowed.join(', ')}`)
      return text
    },
    render: (value) => value,
  }
}

const INTEGER = /^[+-]?\d+$/
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i

function boundsRule(bounds: Bounds): string | undefined {
  if (bounds.min !== undefined && bounds.max !== undefined) return `between ${bounds.min} and ${bounds.max}`
  if (bounds.min !== undefined) return `at least ${bounds.min}`
  if (bounds.max !== undefined) return `at most ${bounds.max}`
  return undefined
}

function parseNumber(text: string, kind: 'integer' | 'float', bounds: Bounds): number {
  const trimmed = text.trim()
  if (!(kind === 'integer' ? INTEGER : DECIMAL).test(trimmed)) {
    throw new RuleError(kind === 'integer' ? 'a number (integer)' : 'a number')
  }
  const value = Number(trimmed)
  const outside =
    (bounds.min !== undefined && value < bounds.min) || (bounds.max !== undefined && value > bounds.max)
  if (outside) throw new RuleError(boundsRule(bounds) ?? '')
  return value
}

/** Floats keep their decimal point (4.0, not 4), as nova.conf and Nova's docs write them. */
function renderFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value)
}

export function integer(
  spec: Described &
    Bounds & {
      readonly default: number
      readonly resolve?: (value: number, other: OtherOption) => number
    },
): Option<number> {
  return {
    ...described(spec),
    type: 'integer',
    default: spec.default,
    optional: false,
    min: spec.min,
    max: spec.max,
    parse: (text) => parseNumber(text, 'integer', spec),
    render: String,
    resolve: spec.resolve,
  }
}

/** A TCP port, as oslo's PortOpt: 0 to 65535. */
export function port(spec: Described & { readonly default: number }): Option<number> {
  return { ...integer({ ...spec, min: 0, max: 65535 }), type: 'port' }
}

export function float(spec: Described & Bounds & { readonly default: number }): Option<number> {
  return {
    ...described(spec),
    type: 'float',
    default: spec.default,
    optional: false,
    min: spec.min,
    max: spec.max,
    parse: (text) => parseNumber(text, 'float', spec),
    render: renderFloat,
  }
}

/** A float whose empty value means "none" (null), as an oslo FloatOpt without a default. */
export function optionalFloat(spec: Described & Bounds): Option<number | null> {
  return {
    ...described(spec),
    type: 'float',
    default: null,
    optional: true,
    min: spec.min,
    max: spec.max,
    parse: (text) => (text.trim() === '' ? null : parseNumber(text, 'float', spec)),
    render: (value) => (value === null ? '' : renderFloat(value)),
  }
}

const TRUE = ['true', '1', 'on', 'yes']
const FALSE = ['false', '0', 'off', 'no']

/** oslo's booleans: true/false, 1/0, on/off, yes/no, in any case; anything else is refused. */
export function boolean(spec: Described & { readonly default: boolean }): Option<boolean> {
  return {
    ...described(spec),
    type: 'boolean',
    default: spec.default,
    optional: false,
    parse: (text) => {
      const word = text.trim().toLowerCase()
      if (TRUE.includes(word)) return true
      if (FALSE.includes(word)) return false
      throw new RuleError('true or false (or yes/no, on/off, 1/0)')
    },
    render: (value) => String(value),
  }
}

/**
 * Comma-separated strings, each trimmed, so a list may run over continuation lines
 * (`enabled_filters = A,` then `  B`). Empty items are dropped.
 */
export function list(spec: Described & { readonly default: readonly string[] }): Option<readonly string[]> {
  return {
    ...described(spec),
    type: 'list',
    default: spec.default,
    optional: false,
    parse: (text) =>
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    render: (value) => value.join(','),
  }
}
