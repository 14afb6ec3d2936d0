/**
 * oslo.config's templates in option values: `$name` or `${name}` is the value of option `name`
 * (of the same group, else of [DEFAULT]), `$group.name` or `${group.name}` that of another
 * group's option, and `$$` (or `\$`) is a literal `$`. A `$` that starts none of these stays.
 * Names are matched as oslo.config's template matches them: a letter or `_`, then letters,
 * digits, `_` and `.`, in any case.
 */
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\}|)/gi

export function substitute(text: string, lookup: (reference: string) => string): string {
  return text
    .split('\\$')
    .join('$$')
    .replace(
      TEMPLATE,
      (match: string, dollar: string | undefined, named: string | undefined, braced: string | undefined) => {
        if (dollar !== undefined) return '$'
        const reference = named ?? braced
        return reference === undefined ? match : lookup(reference)
      },
    )
}
