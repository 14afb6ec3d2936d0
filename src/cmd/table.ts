/**
 * A table as the OpenStack client prints one (cliff's table formatter over prettytable): text
 * left-aligned, numbers right-aligned, headers aligned as their column.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? 'None' : String(c))))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)))
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`
  const line = (values: readonly string[]) =>
    `| ${values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' | ')} |`
  return [rule, line(headers), rule, ...cells.map(line), ...(cells.length > 0 ? [rule] : [])].join('\n')
}
