import { AggregateApi } from '../compute-api/aggregates.js'
import { PlacementRequests } from '../compute-api/placement-request.js'
import { ServerGroupApi } from '../compute-api/server-groups.js'
import { AggregateStore } from '../db/api/aggregate-store.js'
import { ServerGroupStore } from '../db/api/server-group-store.js'
import type { SchedulerSources } from '../scheduler/manager.js'
import type { ControlRuntime } from './control-runtime.js'

/** The API process's server groups, aggregates (and zones), and create-time placement. */
export function groupsAndAggregates(rt: ControlRuntime): {
  serverGroups: ServerGroupApi
  aggregates: AggregateApi
  placement: PlacementRequests
} {
  const api = rt.apiStore()
  const groupStore = new ServerGroupStore(api.db)
  const aggregates = new AggregateApi(new AggregateStore(api.db), rt.cells(), {
    defaultAvailabilityZone: rt.config.default_availability_zone,
  })
  const placement = new PlacementRequests(
    groupStore,
    aggregates,
    rt.cells(),
    api,
    // Nova's [DEFAULT] default_schedule_zone: None (no zone unless asked).
    { defaultScheduleZone: null },
    rt.log.child({ service: 'nova-api', host: rt.config.host }),
  )
  return { serverGroups: new ServerGroupApi(groupStore), aggregates, placement }
}

/** What the scheduler reads from the API database: aggregates, and server groups' members. */
export function schedulerSources(rt: ControlRuntime): SchedulerSources {
  const db = rt.apiStore().db
  const groups = new ServerGroupStore(db)
  return {
    aggregates: new AggregateStore(db),
    groupMembers: async (uuid) => (await groups.find(uuid))?.members,
  }
}
