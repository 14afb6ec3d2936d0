import { createHash } from 'node:crypto'
import type { Instance } from '../../objects/instance.js'
import { instanceName, SystemMetadataKey } from '../../objects/instance.js'
import { PROGRESS_STATUSES, statusFromState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import { isoMicros, isoSeconds } from '../../shared/time.js'
import type { ApiVersion } from '../microversion.js'
import { resourceLinks } from './links.js'

export interface ViewOptions {
  readonly baseUrl: string
  readonly version: ApiVersion
  readonly ctx: RequestContext
  readonly hostStatus?: ReadonlyMap<string, string>
  /** Each host's availability zone (its zone aggregate's, else the default one). */
  readonly hostZones?: ReadonlyMap<string, string>
  /** 2.71+: the server groups the server is in (shown by GET /servers/{id}, not in lists). */
  readonly serverGroups?: readonly string[]
}

export function serverSummary(i: Instance, baseUrl: string) {
  return { id: i.uuid, name: i.display_name ?? '', links: resourceLinks(baseUrl, 'servers', i.uuid) }
}

/** Nova's `hostId`: an opaque per-project id of the host, so users can tell co-located servers. */
export function hostId(projectId: string | null, host: string | null): string {
  if (!host) return ''
  return createHash('sha224')
    .update(`${projectId ?? ''}${host}`)
    .digest('hex')
}

/** The full server body, with each field where the microversion and the caller's role put it. */
export function serverDetail(i: Instance, o: ViewOptions): Record<string, unknown> {
  const v = o.version
  const status = statusFromState(i.vm_state, i.task_state)
  const admin = o.ctx.isAdmin
  const f = i.flavor
  const body: Record<string, unknown> = {
    id: i.uuid,
    name: i.display_name ?? '',
    status,
    tenant_id: i.project_id,
    user_id: i.user_id,
    metadata: i.metadata,
    hostId: hostId(i.project_id, i.host),
    image: i.image_ref
      ? {
          id: i.image_ref,
          links: [{ rel: 'bookmark', href: `${o.baseUrl}/images/${i.image_ref}` }],
        }
      : '',
    flavor: v.atLeast('2.47')
      ? {
          vcpus: f.vcpus,
          ram: f.memory_mb,
          disk: f.root_gb,
          ephemeral: f.ephemeral_gb,
          swap: f.swap,
          original_name: f.name,
          extra_specs: f.extra_specs,
        }
      : { id: f.flavorid, links: [{ rel: 'bookmark', href: `${o.baseUrl}/flavors/${f.flavorid}` }] },
    created: isoSeconds(i.created_at),
    updated: isoSeconds(i.updated_at ?? i.created_at),
    addresses: {},
    accessIPv4: i.access_ip_v4 ?? '',
    accessIPv6: i.access_ip_v6 ?? '',
    links: resourceLinks(o.baseUrl, 'servers', i.uuid),
    'OS-DCF:diskConfig': 'MANUAL',
  }
  if (PROGRESS_STATUSES.has(status)) body.progress = i.progress ?? 0
  Object.assign(body, {
    // Nova's get_instance_availability_zone: the host's zone once it has one, else the one asked for.
    'OS-EXT-AZ:availability_zone': i.host
      ? (o.hostZones?.get(i.host) ?? i.availability_zone ?? 'nova')
      : (i.availability_zone ?? ''),
    config_drive: i.config_drive ?? '',
    key_name: i.key_name,
    'OS-SRV-USG:launched_at': isoMicros(i.launched_at),
    'OS-SRV-USG:terminated_at': isoMicros(i.terminated_at),
  })
  if (status !== 'BUILD' || i.host) body.security_groups = [{ name: 'default' }]
  if (admin) {
    Object.assign(body, {
      'OS-EXT-SRV-ATTR:host': i.host,
      'OS-EXT-SRV-ATTR:instance_name': i.id ? instanceName(i.id) : '',
      'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
    })
    if (v.atLeast('2.3')) {
      Object.assign(body, {
        'OS-EXT-SRV-ATTR:reservation_id': i.reservation_id,
        'OS-EXT-SRV-ATTR:launch_index': i.launch_index,
        'OS-EXT-SRV-ATTR:hostname': i.hostname,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': i.root_device_name,
        'OS-EXT-SRV-ATTR:user_data': i.user_data,
      })
    }
  }
  Object.assign(body, {
    'OS-EXT-STS:task_state': i.task_state,
    'OS-EXT-STS:vm_state': i.vm_state,
    'OS-EXT-STS:power_state': i.power_state ?? 0,
    'os-extended-volumes:volumes_attached': [],
  })
  if (i.fault && (status === 'ERROR' || status === 'DELETED')) {
    body.fault = {
      code: i.fault.code,
      created: isoSeconds(i.fault.created_at),
      message: i.fault.message,
      ...(admin && i.fault.details ? { details: i.fault.details } : {}),
    }
  }
  if (v.atLeast('2.16') && admin) body.host_status = i.host ? (o.hostStatus?.get(i.host) ?? 'UNKNOWN') : ''
  if (v.atLeast('2.9')) body.locked = i.locked
  if (v.atLeast('2.73')) body.locked_reason = i.system_metadata[SystemMetadataKey.LOCKED_REASON] ?? null
  if (v.atLeast('2.19')) body.description = i.display_description
  if (v.atLeast('2.26')) body.tags = []
  if (v.atLeast('2.63')) body.trusted_image_certificates = null
  if (v.atLeast('2.71')) body.server_groups = [...(o.serverGroups ?? [])]
  return body
}
