import type { FlavorApi } from '../compute-api/flavors.js'
import type { ServerListRequest } from '../compute-api/server-list.js'
import type { InstanceListFilters, SortColumn, SortKey } from '../objects/instance-list.js'
import { statesFromStatus } from '../objects/states.js'
import type { RequestContext } from '../shared/context.js'
import { FlavorNotFound, Forbidden, Invalid, PolicyNotAuthorized } from '../shared/errors.js'
import { dbNow } from '../shared/time.js'
import type { QueryString } from '../validation/nova.js'
import type { ApiVersion } from './microversion.js'
import { IGNORED_SORT_KEYS, validateServersQuery } from './schemas/servers-query.js'

const UNSTORED_SORT_KEYS = new Set(['auto_disk_config', 'kernel_id', 'ramdisk_id'])

/** The filters a non-admin may use (Nova's `_get_server_search_options`); others are dropped. */
function userFilters(v: ApiVersion): Set<string> {
  const allowed = [
    'reservation_id',
    'name',
    'status',
    'image',
    'flavor',
    'ip',
    'changes-since',
    'all_tenants',
  ]
  if (v.atLeast('2.5')) allowed.push('ip6')
  if (v.atLeast('2.26')) allowed.push('tags', 'tags-any', 'not-tags', 'not-tags-any')
  if (v.atLeast('2.66')) allowed.push('changes-before')
  if (v.atLeast('2.73')) allowed.push('locked')
  if (v.atLeast('2.83')) {
    allowed.push('availability_zone', 'config_drive', 'key_name', 'created_at', 'launched_at')
    allowed.push('terminated_at', 'power_state', 'task_state', 'vm_state', 'progress', 'user_id')
  }
  if (v.atLeast('2.90')) allowed.push('hostname')
  return new Set([...allowed, 'sort_key', 'sort_dir', 'limit', 'marker'])
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function last(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.at(-1) : v
}

/** oslo's `bool_from_string` (strict=False): true for its truthy spellings, else false. */
function bool(v: string): boolean {
  return /^(1|t|true|on|y|yes)$/i.test(v.trim())
}

/**
 * `GET /servers[/detail]` query parameters as Nova reads them, into what the facade lists: the
 * caller's scope (own project, or all with `all_tenants` for admins — 403 for anyone else), the
 * filters, the sort (validated; admin-only and ignored keys as Nova), limit and marker. Answers
 * `'empty'` where Nova answers an empty list without looking (unknown flavor, an unknown status
 * before 2.38).
 */
export async function serverListRequest(
  query: QueryString,
  ctx: RequestContext,
  v: ApiVersion,
  detail: boolean,
  maxLimit: number,
  flavors: FlavorApi,
): Promise<ServerListRequest | 'empty'> {
  validateServersQuery(v)(query)
  const sort = sortKeys(query, ctx, v)
  // Admins may filter on anything; others on the user filters only (the rest is dropped).
  const allowed = ctx.isAdmin ? undefined : userFilters(v)
  const q = (name: string) => (allowed && !allowed.has(name) ? undefined : query[name])

  const allTenants =
    q('all_tenants') !== undefined && (last(q('all_tenants')) === '' || bool(last(q('all_tenants'))!))
  if (allTenants && !ctx.isAdmin) {
    throw new PolicyNotAuthorized(`os_compute_api:servers:${detail ? 'detail' : 'index'}:get_all_tenants`)
  }
  const filters: { -readonly [K in keyof InstanceListFilters]: InstanceListFilters[K] } = {}
  if (allTenants) {
    const project = last(q('project_id')) ?? last(q('tenant_id'))
    if (project !== undefined) filters.projectId = project
  } else {
    // As Nova: without all_tenants the caller's own project, whatever project_id says.
    filters.projectId = ctx.projectId ?? undefined
    if (!ctx.projectId && ctx.userId) filters.userId = ctx.userId
  }
  const text = (name: string) => last(q(name))
  if (text('user_id') !== undefined) filters.userId = text('user_id')
  if (text('host') !== undefined) filters.host = text('host')
  if (text('node') !== undefined) filters.node = text('node')
  if (text('reservation_id') !== undefined) filters.reservationId = text('reservation_id')
  const image = text('image') ?? text('image_ref')
  if (image !== undefined) filters.imageRef = image.split('/').filter(Boolean).pop() ?? image
  if (text('uuid') !== undefined) filters.uuid = text('uuid')
  if (text('availability_zone') !== undefined) filters.availabilityZone = text('availability_zone')
  if (text('locked') !== undefined) filters.locked = bool(text('locked')!)
  const flavor = text('flavor')
  if (flavor !== undefined) {
    try {
      filters.flavorPk = (await flavors.get(ctx, flavor)).id
    } catch (err) {
      if (err instanceof FlavorNotFound) return 'empty'
      throw err
    }
  }
  const statuses = all(q('status'))
  if (statuses.length > 0) {
    const states = statesFromStatus(statuses)
    if (states.vmStates.length === 0) {
      if (v.atLeast('2.38')) throw new Invalid('Invalid status value')
      return 'empty'
    }
    filters.vmStates = states.vmStates
    if (!states.anyTask) filters.taskStates = states.taskStates
  } else {
    const vmState = all(q('vm_state'))
    if (vmState.length > 0) filters.vmStates = vmState
    const taskState = all(q('task_state'))
    if (taskState.length > 0) filters.taskStates = taskState
  }
  const since = text('changes-since')
  const before = text('changes-before')
  if (since !== undefined) filters.changesSince = dbNow(parseIsoTime(since))
  if (before !== undefined) filters.changesBefore = dbNow(parseIsoTime(before))
  if (since !== undefined && before !== undefined && parseIsoTime(before)! < parseIsoTime(since)!) {
    throw new Invalid('The value of changes-since must be less than or equal to changes-before.')
  }
  // Deleted servers: with changes-since/-before (they report deletions), or `deleted` (admins).
  const deleted = text('deleted')
  if (deleted !== undefined) filters.deleted = bool(deleted)
  else if (since === undefined && before === undefined) filters.deleted = false
  if (filters.vmStates?.length === 1 && filters.vmStates[0] === 'deleted') {
    if (!ctx.isAdmin) throw new Forbidden('Only administrators may list deleted instances')
    filters.deleted = true
  }

  const limitText = last(query.limit)
  const limit = Math.min(maxLimit, limitText === undefined ? maxLimit : Number(limitText))
  const name = text('name') ?? text('display_name')
  const marker = last(query.marker)
  return {
    filters,
    sort,
    limit,
    ...(name !== undefined ? { name } : {}),
    ...(marker !== undefined ? { marker } : {}),
  }
}

/**
 * `sort_key`/`sort_dir`, repeated or not, as Nova's `get_sort_params` and
 * `remove_invalid_sort_keys`: unknown keys 400; ignored keys dropped (400 from 2.75); `host` and
 * `node` for admins only (403); directions `asc`/`desc` only, no more of them than keys.
 */
function sortKeys(query: QueryString, ctx: RequestContext, v: ApiVersion): SortKey[] {
  const keys = all(query.sort_key).map((k) => k.trim())
  const dirs = all(query.sort_dir).map((d) => d.trim())
  // The schema has refused unknown keys; these are accepted and then dropped, as Nova's.
  const ignored = new Set<string>(IGNORED_SORT_KEYS)
  if (v.atLeast('2.73')) ignored.delete('locked')
  for (const d of dirs) {
    if (d !== 'asc' && d !== 'desc') {
      throw new Invalid("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'")
    }
  }
  if (dirs.length > Math.max(keys.length, 1)) {
    throw new Invalid('Invalid input received: Sort direction size exceeds sort key size')
  }
  // An ignored key goes with its direction, as Nova's remove_invalid_sort_keys pops both.
  const kept: string[] = []
  const keptDirs: string[] = []
  for (const [i, key] of keys.entries()) {
    if (ignored.has(key)) continue
    if ((key === 'host' || key === 'node') && !ctx.isAdmin) {
      throw new Forbidden(`Only administrators can sort servers by ${key}`)
    }
    kept.push(key)
    if (dirs[i] !== undefined) keptDirs.push(dirs[i]!)
  }
  if (keys.length === 0) keptDirs.push(...dirs)
  // Keys without a direction take the first one given (Nova's process_sort_params), else desc.
  const firstDir = (keptDirs[0] ?? 'desc') as 'asc' | 'desc'
  if (kept.length === 0) return [{ key: 'created_at', dir: firstDir }]
  return kept
    .map((key, i) => ({ key, dir: (keptDirs[i] ?? firstDir) as 'asc' | 'desc' }))
    .filter((k) => !UNSTORED_SORT_KEYS.has(k.key))
    .map((k) => ({ key: k.key as SortColumn, dir: k.dir }))
}

/** oslo's `parse_isotime` (a time without a zone is UTC); undefined when it is not one. */
function parseIsoTime(v: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(v))
    return undefined
  const zoned = /([Zz]|[+-]\d{2}:?\d{2})$/.test(v)
  const date = new Date(zoned ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`)
  return Number.isNaN(date.getTime()) ? undefined : date
}
