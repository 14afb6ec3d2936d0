import { ComputeTaskManager, ConductorManager } from '../conductor/manager.js'
import { StalledWorkRedriver } from '../conductor/redrive.js'
import {
  COMPUTE_TASK_NAMESPACE,
  COMPUTE_TASK_RPC_VERSION,
  CONDUCTOR_RPC_VERSION,
  CONDUCTOR_TOPIC,
  ComputeTaskClient,
} from '../conductor/rpcapi.js'
import { SchedulerClient } from '../scheduler/rpcapi.js'
import { Service } from '../service/service.js'
import type { ControlRuntime } from './control-runtime.js'
import { directReporter } from './reporters.js'

/** Nova's `long_rpc_timeout`: select_destinations may legitimately take long on a big cloud. */
const LONG_RPC_TIMEOUT_S = 1800

export async function startConductor(rt: ControlRuntime): Promise<Service> {
  const { config } = rt
  const log = rt.log.child({ service: 'nova-conductor', host: config.host })
  const rpc = rt.rpc()
  const api = rt.apiStore()
  const cell = await rt.localCell()
  const service = new Service(
    'nova-conductor',
    config.host,
    directReporter(cell.store, config.host, 'nova-conductor', CONDUCTOR_TOPIC),
    config.report_interval,
    log,
    rt.clock,
  )
  const base = new ConductorManager(cell, api, log)
  const tasks = new ComputeTaskManager({
    api,
    cells: rt.cells(),
    scheduler: new SchedulerClient(rpc, LONG_RPC_TIMEOUT_S, rt.upgradeLevel('scheduler')),
    log,
    maxAttempts: config.scheduler.max_attempts,
    host: config.host,
  })
  service.addSubscription(
    await rpc.serve({ topic: CONDUCTOR_TOPIC, server: config.host }, [
      { version: CONDUCTOR_RPC_VERSION, endpoint: base },
      { version: COMPUTE_TASK_RPC_VERSION, namespace: COMPUTE_TASK_NAMESPACE, endpoint: tasks },
    ]),
  )
  await service.start()
  const { redrive_threshold: thresholdS, redrive_interval: intervalS } = config.conductor
  if (thresholdS > 0 && intervalS > 0) {
    const redriver = new StalledWorkRedriver(
      api,
      cell,
      tasks.scheduleAndBuild,
      new ComputeTaskClient(rpc),
      {
        thresholdS,
        serviceDownTimeS: config.service_down_time,
        maxAttempts: config.conductor.redrive_max_attempts,
        clock: rt.clock,
      },
      log.child({ task: 'redrive' }),
    )
    service.addTask('redrive_stalled_work', intervalS, () => redriver.run())
  }
  rt.onClose(() => service.stop())
  log.info('nova-conductor started')
  return service
}
