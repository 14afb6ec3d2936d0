import type { Instance } from './instance.js'

/**
 * How servers are listed: the filters the database applies, the sort, and where a page starts.
 * The same sort is applied in SQL (each cell) and here (merging the cells), so both must order
 * values alike: nulls as the kind's lowest value, text by code point, times by their text.
 */

/** How a sort key's values compare. */
export type SortKind = 'text' | 'int' | 'time'

/** The instance columns servers can be sorted by (Nova's VALID_SORT_KEYS that tsnova stores). */
export const SORT_COLUMNS = {
  access_ip_v4: 'text',
  access_ip_v6: 'text',
  availability_zone: 'text',
  config_drive: 'text',
  created_at: 'time',
  display_description: 'text',
  display_name: 'text',
  host: 'text',
  hostname: 'text',
  id: 'int',
  image_ref: 'text',
  instance_type_id: 'int',
  key_name: 'text',
  launch_index: 'int',
  launched_at: 'time',
  locked: 'int',
  locked_by: 'text',
  node: 'text',
  power_state: 'int',
  progress: 'int',
  project_id: 'text',
  reservation_id: 'text',
  root_device_name: 'text',
  task_state: 'text',
  terminated_at: 'time',
  updated_at: 'time',
  user_id: 'text',
  uuid: 'text',
  vm_state: 'text',
} as const satisfies Record<string, SortKind>

export type SortColumn = keyof typeof SORT_COLUMNS

export interface SortKey {
  readonly key: SortColumn
  readonly dir: 'asc' | 'desc'
}

/** A null compares as the lowest value of its kind, in SQL (COALESCE) and here alike. */
export const NULL_SORT_VALUE: Record<SortKind, string | number> = {
  text: '',
  int: -1,
  time: '1000-01-01 00:00:00.000000',
}

export type SortValue = string | number

export interface InstanceListFilters {
  /** Only this project's servers; absent: every project's. */
  readonly projectId?: string
  readonly userId?: string
  readonly host?: string
  readonly node?: string
  readonly reservationId?: string
  readonly imageRef?: string
  /** The flavor's database id (`instance_type_id`). */
  readonly flavorPk?: number
  readonly uuid?: string
  readonly locked?: boolean
  readonly availabilityZone?: string
  /** From `status`: the vm_states, and the task_states when the status names some. */
  readonly vmStates?: readonly string[]
  readonly taskStates?: readonly (string | null)[]
  /** `updated_at` bounds, stored format, inclusive. */
  readonly changesSince?: string
  readonly changesBefore?: string
  /** true: only deleted servers; false: only live ones; undefined: both. */
  readonly deleted?: boolean
}

export interface InstancePageQuery {
  readonly filters: InstanceListFilters
  /** Ends with keys that make the order total (a unique one last). */
  readonly sort: readonly SortKey[]
  /** The sort values of the last server already seen: the page starts after it. */
  readonly after?: readonly SortValue[]
  readonly limit: number
}

/** An instance's value for a sort key, as SQL compares it (nulls replaced, times normalised). */
export function sortValue(instance: Instance, key: SortColumn): SortValue {
  const kind = SORT_COLUMNS[key]
  const raw = rawValue(instance, key)
  if (raw === null || raw === undefined) return NULL_SORT_VALUE[kind]
  if (kind === 'int') return typeof raw === 'boolean' ? Number(raw) : Number(raw)
  if (kind === 'time') return normaliseTime(String(raw))
  return String(raw)
}

function rawValue(instance: Instance, key: SortColumn): unknown {
  switch (key) {
    case 'instance_type_id':
      return instance.flavor.id
    case 'locked':
      return instance.locked ? 1 : 0
    default:
      return instance[key]
  }
}

/**
 * Stored times with their fraction at six digits: PostgreSQL drops trailing zeros, so texts of
 * one time could differ between databases.
 */
export function normaliseTime(value: string): string {
  const [seconds = '', fraction = ''] = value.replace('T', ' ').split('.', 2)
  return `${seconds.slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}`
}

/** Compare two instances' sort values in the sort's order (negative: `a` comes first). */
export function compareSortValues(
  sort: readonly SortKey[],
  a: readonly SortValue[],
  b: readonly SortValue[],
): number {
  for (const [i, { dir }] of sort.entries()) {
    const x = a[i]!
    const y = b[i]!
    if (x === y) continue
    const order = x < y ? -1 : 1
    return dir === 'asc' ? order : -order
  }
  return 0
}
