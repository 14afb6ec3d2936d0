/** Recording a server as the API does on create, without the cast that hands it to a conductor. */
import { randomUUID } from 'node:crypto'
import type { ApiStore } from '../../src/db/api/api-store.js'
import type { BuildRequestInstance, RequestSpec } from '../../src/objects/instance.js'
import { dbNow } from '../../src/shared/time.js'

export interface RecordedBuildRequest {
  readonly br: BuildRequestInstance
  readonly spec: RequestSpec
}

/** A build request, request spec and instance mapping for project `demo`, flavor 1. */
export async function recordBuildRequest(api: ApiStore, name = 'server'): Promise<RecordedBuildRequest> {
  const flavor = await api.getFlavor('1')
  const uuid = randomUUID()
  const br: BuildRequestInstance = {
    uuid,
    display_name: name,
    hostname: name,
    project_id: 'demo',
    user_id: 'demo',
    image_ref: randomUUID(),
    flavor,
    availability_zone: null,
    reservation_id: `r-${uuid.slice(0, 8)}`,
    launch_index: 0,
    key_name: null,
    user_data: null,
    metadata: {},
    display_description: null,
    access_ip_v4: null,
    access_ip_v6: null,
    config_drive: null,
    created_at: dbNow(),
  }
  const spec: RequestSpec = {
    instance_uuid: uuid,
    project_id: 'demo',
    user_id: 'demo',
    flavor,
    image_ref: br.image_ref,
    num_instances: 1,
    availability_zone: null,
    scheduler_hints: {},
    ignore_hosts: [],
    request_id: `req-${randomUUID()}`,
  }
  await api.createBuildRequests([{ instance: br, spec }])
  return { br, spec }
}
