/**
 * The order in which Python's jsonschema meets errors: it walks a schema's keywords in the
 * order the schema lists them, `properties` in their listed order, array items and matching
 * object keys in the instance's order, depth first. An error's place in that walk is a list of
 * positions read off Ajv's schema path; comparing two lists tells which error comes first.
 */
import type { ErrorObject } from 'ajv'

type Node = Readonly<Record<string, unknown>>

function asNode(v: unknown): Node {
  return typeof v === 'object' && v !== null ? (v as Node) : {}
}

function unescapeSegment(segment: string): string {
  return decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~')
}

/** Positions along the walk to the keyword that failed. */
export function orderKey(schema: unknown, instance: unknown, error: ErrorObject): number[] {
  const segments = error.schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).map(unescapeSegment)
  const steps = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  const key: number[] = []
  let node = asNode(schema)
  let data: unknown = instance
  let step = 0
  const descendData = (): string => {
    const s = steps[step++] ?? ''
    data = (data as Record<string, unknown> | undefined)?.[s]
    return s
  }
  const indexInData = (k: string): number =>
    typeof data === 'object' && data !== null ? Object.keys(data).indexOf(k) : 0
  for (let i = 0; i < segments.length; i++) {
    const keyword = segments[i]!
    key.push(Object.keys(node).indexOf(keyword))
    if (i === segments.length - 1) break
    switch (keyword) {
      case 'properties': {
        const name = segments[++i]!
        const properties = asNode(node.properties)
        key.push(Object.keys(properties).indexOf(name))
        node = asNode(properties[name])
        descendData()
        break
      }
      case 'patternProperties': {
        const pattern = segments[++i]!
        const patterns = asNode(node.patternProperties)
        key.push(Object.keys(patterns).indexOf(pattern))
        key.push(indexInData(steps[step] ?? ''))
        node = asNode(patterns[pattern])
        descendData()
        break
      }
      case 'additionalProperties':
        key.push(indexInData(steps[step] ?? ''))
        node = asNode(node.additionalProperties)
        descendData()
        break
      case 'items':
        if (Array.isArray(node.items)) {
          const position = Number(segments[++i])
          key.push(position)
          node = asNode(node.items[position])
        } else {
          key.push(Number(steps[step]))
          node = asNode(node.items)
        }
        descendData()
        break
      case 'allOf':
      case 'anyOf':
      case 'oneOf': {
        const branch = Number(segments[++i])
        key.push(branch)
        node = asNode((node[keyword] as unknown[] | undefined)?.[branch])
        break
      }
      default:
        return key
    }
  }
  return key
}

/** Lexicographic order of two walk positions; a prefix comes first. */
export function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}
