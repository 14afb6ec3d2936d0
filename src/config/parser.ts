/**
 * nova.conf's syntax, as oslo.config's iniparser reads it:
 *
 * - `[group]` starts a group (`[DEFAULT]` for the top-level options); an option before any group
 *   is an error. Group names other than DEFAULT are lower-cased, as oslo.config normalizes them.
 * - `key = value` or `key: value`, split at whichever of `=` and `:` comes first; key and value
 *   are trimmed, and one pair of matching quotes around the whole value is removed.
 * - A line starting with a space or a tab continues the value above it (joined with a newline);
 *   a blank line or any other line ends it. So an indented `# …` under an option is part of
 *   its value, and one with no option above it is an error.
 * - Lines starting with `#` or `;` are comments. Nothing else is: `host = a # b` is `a # b`.
 * - An option given twice in a file: the last one counts.
 */

/** A configuration tsnova cannot start with: a file it cannot read or parse, a value it refuses. */
export class ConfigError extends Error {}

export interface ConfigFileValue {
  readonly value: string
  /** The line of its `key = value`. */
  readonly line: number
}

export interface ParsedConfigFile {
  readonly path: string
  /** By group, then option: the last assignment of each. */
  readonly groups: ReadonlyMap<string, ReadonlyMap<string, ConfigFileValue>>
}

function normalizeGroupName(name: string): string {
  return name === 'DEFAULT' ? name : name.toLowerCase()
}

interface PendingAssignment {
  readonly key: string
  readonly lines: string[]
  readonly lineNumber: number
  readonly text: string
}

export function parseConfigFile(text: string, path: string): ParsedConfigFile {
  const groups = new Map<string, Map<string, ConfigFileValue>>()
  const error = (lineNumber: number, message: string, line: string) =>
    new ConfigError(`Failed to parse ${path}: at line ${lineNumber}, ${message}: '${line}'`)
  let group: Map<string, ConfigFileValue> | undefined
  let pending: PendingAssignment | undefined
  const flush = () => {
    if (!pending) return
    if (!group) throw error(pending.lineNumber, 'Section must be started before assignment', pending.text)
    group.set(pending.key, { value: pending.lines.join('\n'), line: pending.lineNumber })
    pending = undefined
  }
  // An editor's byte-order mark is not part of the first line.
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  for (const [index, raw] of lines.entries()) {
    const lineNumber = index + 1
    const line = raw.trimEnd()
    if (line === '') {
      flush()
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!pending) throw error(lineNumber, 'Unexpected continuation line', line)
      pending.lines.push(line.trimStart())
    } else {
      flush()
      if (line.startsWith('[')) {
        if (!line.endsWith(']')) throw error(lineNumber, 'Invalid section (must end with ])', line)
        if (line.length <= 2) throw error(lineNumber, 'Empty section name', line)
        const name = normalizeGroupName(line.slice(1, -1))
        group = groups.get(name) ?? new Map()
        groups.set(name, group)
      } else if (!line.startsWith('#') && !line.startsWith(';')) {
        const assignment = splitAssignment(line)
        if (!assignment) throw error(lineNumber, "No ':' or '=' found in assignment", line)
        if (assignment.key === '') throw error(lineNumber, 'Key cannot be empty', line)
        pending = { key: assignment.key, lines: [assignment.value], lineNumber, text: line }
      }
    }
  }
  flush()
  return { path, groups }
}

function splitAssignment(line: string): { key: string; value: string } | undefined {
  const colon = line.indexOf(':')
  const equal = line.indexOf('=')
  if (colon < 0 && equal < 0) return undefined
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon
  let value = line.slice(at + 1).trim()
  if (value !== '' && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    value = value.slice(1, -1)
  }
  return { key: line.slice(0, at).trim(), value }
}
