import { registry } from './options/index.js'
import type { OptionGroup } from './options/types.js'
import type { ParsedConfigFile } from './parser.js'
import { declaredOption } from './resolve.js'

const groups: Readonly<Record<string, OptionGroup>> = registry

/**
 * Options tsnova would ignore: unknown names in the groups it reads (a typo, most often), each
 * with the file and line, and a guess when a known name is close. Groups tsnova does not read
 * are left alone: a nova.conf shared with other services carries theirs.
 */
export function unknownOptionWarnings(files: readonly ParsedConfigFile[]): string[] {
  const warnings: string[] = []
  for (const file of files) {
    for (const [group, options] of file.groups) {
      if (group === 'default') {
        warnings.push(
          `Group [default] in ${file.path} is not [DEFAULT] (which is written in capitals): its options are ignored`,
        )
      }
      if (!Object.hasOwn(groups, group)) continue
      for (const [name, { line }] of options) {
        if (declaredOption(group, name)) continue
        warnings.push(`Unknown option [${group}] ${name} in ${file.path}:${line}${suggestion(group, name)}`)
      }
    }
  }
  return warnings
}

function suggestion(group: string, name: string): string {
  const close = closestName(name, Object.keys(groups[group]?.options ?? {}))
  if (close) return ` (did you mean ${close}?)`
  const elsewhere = Object.keys(groups).find((other) => declaredOption(other, name))
  return elsewhere ? ` (did you mean [${elsewhere}] ${name}?)` : ''
}

/** The known name nearest to `name`, if it is near enough to be what was meant. */
function closestName(name: string, known: readonly string[]): string | undefined {
  const allowed = name.length < 5 ? 1 : Math.max(2, Math.floor(name.length / 4))
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance <= allowed && (!best || distance < best.distance)) best = { name: candidate, distance }
  }
  return best?.name
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, at(i - 2, j - 2) + 1)
      rows[i]![j] = d
    }
  }
  return at(a.length, b.length)
}
