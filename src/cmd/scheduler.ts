import { SchedulerManager } from '../scheduler/manager.js'
import { schedulerOptionsFrom } from '../scheduler/options.js'
import { SCHEDULER_RPC_VERSION, SCHEDULER_TOPIC } from '../scheduler/rpcapi.js'
import { Service } from '../service/service.js'
import type { ControlRuntime } from './control-runtime.js'
import { schedulerSources } from './groups-aggregates.js'
import { directReporter } from './reporters.js'

export async function startScheduler(rt: ControlRuntime): Promise<Service> {
  const { config } = rt
  const log = rt.log.child({ service: 'nova-scheduler', host: config.host })
  // One cell's hosts for now: scheduling across cells comes with cells v2.
  const cell = await rt.localCell()
  const manager = new SchedulerManager(
    cell.store,
    schedulerOptionsFrom(config, cell.mapping.uuid),
    log,
    schedulerSources(rt),
  )
  await manager.start()
  const service = new Service(
    'nova-scheduler',
    config.host,
    directReporter(cell.store, config.host, 'nova-scheduler', SCHEDULER_TOPIC),
    config.report_interval,
    log,
    rt.clock,
  )
  service.addSubscription(
    await rt
      .rpc()
      .serve({ topic: SCHEDULER_TOPIC, server: config.host }, [
        { version: SCHEDULER_RPC_VERSION, endpoint: manager },
      ]),
  )
  await service.start()
  rt.onClose(() => service.stop())
  log.info('nova-scheduler started')
  return service
}
