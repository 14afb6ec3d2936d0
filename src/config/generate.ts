import { registry } from './options/index.js'
import type { Option, OptionGroup, OptionType } from './options/types.js'

/** [DEFAULT] first, then the other groups by name, as oslo-config-generator orders them. */
function groupsInOrder(): [string, OptionGroup][] {
  const entries: [string, OptionGroup][] = Object.entries(registry)
  const rank = (name: string) => (name === 'DEFAULT' ? '' : name)
  return entries.sort(([a], [b]) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0))
}

const TYPE_NAMES: Record<OptionType, string> = {
  string: 'string value',
  integer: 'integer value',
  float: 'floating point value',
  boolean: 'boolean value',
  list: 'list value',
  port: 'port value',
}

/** The default as a sample or the docs show it: the machine's stands in as `<…>`, none as `<None>`. */
function shownDefault(option: Option<unknown>): string {
  if (option.sampleDefault !== undefined) return option.sampleDefault
  if (option.default === null) return '<None>'
  return option.render(option.default)
}

const WRAP = 70

/** `text` as `# ` comment lines of at most WRAP columns (longer words are not broken). */
function commentLines(text: string): string[] {
  const lines: string[] = []
  let line = '#'
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '#' && line.length + 1 + word.length > WRAP) {
      lines.push(line)
      line = '#'
    }
    line += ` ${word}`
  }
  lines.push(line)
  return lines
}

/**
 * A nova.conf with every group and every option commented out at its default, each under its
 * help, type, bounds and choices: what `oslo-config-generator` writes for Nova.
 */
export function sampleConfig(): string {
  const out = [
    '# A sample nova.conf for tsnova, generated from its option registry by',
    '# `tsnova-manage config sample`. Every option is shown commented out,',
    '# at its default.',
    '',
  ]
  for (const [group, { help, options }] of groupsInOrder()) {
    out.push(`[${group}]`, ...commentLines(help), '')
    for (const [name, option] of Object.entries(options)) {
      out.push('#', ...commentLines(`${option.help} (${TYPE_NAMES[option.type]})`))
      if (option.min !== undefined) out.push(`# Minimum value: ${option.render(option.min)}`)
      if (option.max !== undefined) out.push(`# Maximum value: ${option.render(option.max)}`)
      if (option.format) out.push(...commentLines(`Format: ${option.format.rule}`))
      if (option.choices) {
        out.push('# Possible values:')
        for (const [value, meaning] of Object.entries(option.choices))
          out.push(...commentLines(`${value} - ${meaning}`))
      }
      if (option.sampleDefault !== undefined) {
        out.push('#', '# The default shown depends on the machine tsnova runs on.')
      }
      const shown = shownDefault(option)
      out.push(`#${name} =${shown === '' ? '' : ` ${shown}`}`, '')
    }
  }
  return `${out.join('\n').trimEnd()}\n`
}

const SYNTAX = `tsnova reads nova.conf as oslo.config does, under Nova's option names and defaults:

- \`[group]\` starts a group; \`[DEFAULT]\` holds the top-level options, and an option before any
  group is an error. Group names other than \`DEFAULT\` are lower-cased.
- \`name = value\` or \`name: value\`; the value is taken as written (a trailing \`# …\` is part of
  it), except that one pair of quotes around all of it is removed.
- Lines starting with \`#\` or \`;\` are comments.
- A line starting with a space or a tab continues the value above it, so a list may run over
  several lines (\`enabled_filters = ComputeFilter,\` then \`  ImagePropertiesFilter\`).
- \`$name\` or \`\${name}\` is replaced by the value of option \`name\` (of the same group, else of
  \`[DEFAULT]\`), \`\${group.name}\` by another group's; \`$$\` is a literal \`$\`.
- Every process takes \`--config-file FILE\` and \`--config-dir DIR\` (every \`*.conf\` in DIR,
  in sorted order), both repeatable; later ones override earlier ones, and an option set twice
  in one file takes the last value.
- A value of the wrong type or out of range stops the service with a message naming the option.
  An unknown option in one of the groups below is logged as a warning at start; other groups
  (other services' options in a shared nova.conf) are ignored.`

function markdownCell(text: string): string {
  return text.replaceAll('|', '\\|')
}

function markdownType(option: Option<unknown>): string {
  const parts: string[] = [option.type]
  const min = option.min === undefined ? undefined : option.render(option.min)
  const max = option.max === undefined ? undefined : option.render(option.max)
  if (min !== undefined && max !== undefined) parts.push(`${min} to ${max}`)
  else if (min !== undefined) parts.push(`≥ ${min}`)
  else if (max !== undefined) parts.push(`≤ ${max}`)
  if (option.choices)
    parts.push(
      `one of ${Object.keys(option.choices)
        .map((c) => `\`${c}\``)
        .join(', ')}`,
    )
  if (option.optional) parts.push('optional')
  if (option.secret) parts.push('secret')
  return parts.join(', ')
}

function markdownDefault(option: Option<unknown>): string {
  if (option.default === null) return 'unset'
  const shown = shownDefault(option)
  return shown === '' ? '(empty)' : `\`${shown}\``
}

function markdownHelp(option: Option<unknown>): string {
  const choices = Object.entries(option.choices ?? {}).map(([value, meaning]) => ` \`${value}\`: ${meaning}.`)
  return option.help + choices.join('')
}

/** docs/configuration.md: every option of the registry, by group. */
export function configMarkdown(): string {
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/options/ by `bin/tsnova-manage config markdown > docs/configuration.md`;',
    '     do not edit: a unit test fails when this file and the registry differ. -->',
    '',
    SYNTAX,
    '',
    '`bin/tsnova-manage config sample` prints a nova.conf with every option below commented out.',
    'Options marked *secret* may hold credentials and are never shown in messages.',
  ]
  for (const [group, { help, options }] of groupsInOrder()) {
    out.push(
      '',
      `## [${group}]`,
      '',
      help,
      '',
      '| Option | Type | Default | Description |',
      '|---|---|---|---|',
    )
    for (const [name, option] of Object.entries(options)) {
      const cells = [`\`${name}\``, markdownType(option), markdownDefault(option), markdownHelp(option)]
      out.push(`| ${cells.map(markdownCell).join(' | ')} |`)
    }
  }
  return `${out.join('\n')}\n`
}
