import type { FastifyInstance } from 'fastify'
import { ComputeApi } from '../compute/api.js'
import { ComputeManager } from '../compute/manager.js'
import { COMPUTE_RPC_VERSION, COMPUTE_TOPIC, ComputeClient } from '../compute/rpcapi.js'
import { ComputeTaskManager, ConductorManager } from '../conductor/manager.js'
import { StalledWorkRedriver } from '../conductor/redrive.js'
import {
  COMPUTE_TASK_NAMESPACE,
  COMPUTE_TASK_RPC_VERSION,
  CONDUCTOR_RPC_VERSION,
  CONDUCTOR_TOPIC,
  ComputeTaskClient,
  ConductorClient,
} from '../conductor/rpcapi.js'
import type { CellStore } from '../db/cell/cell-store.js'
import { type RetryPolicy, sendUntilDelivered } from '../rpc/retry.js'
import { SchedulerManager } from '../scheduler/manager.js'
import { schedulerOptionsFrom } from '../scheduler/options.js'
import { SCHEDULER_RPC_VERSION, SCHEDULER_TOPIC, SchedulerClient } from '../scheduler/rpcapi.js'
import { SERVICE_VERSION, Service, type ServiceReporter } from '../service/service.js'
import { adminContext } from '../shared/context.js'
import type { VirtDriver } from '../virt/driver.js'
import { FakeDriver } from '../virt/fake/fake-driver.js'
import { groupsAndAggregates, schedulerSources } from './groups-aggregates.js'
import { computeKeystoneAuth, imageService, projectVerifier } from './identity-image.js'
import type { Runtime } from './runtime.js'

/** Nova's `long_rpc_timeout`: select_destinations may legitimately take long on a big cloud. */
const LONG_RPC_TIMEOUT_S = 1800

/** A compute started before any conductor waits for one as long as it takes. */
const WAIT_FOR_CONDUCTOR: RetryPolicy = {
  giveUpAfterMs: Number.POSITIVE_INFINITY,
  initialDelayMs: 500,
  maxDelayMs: 5000,
}

/** Services holding the cell database report their heartbeat straight into it. */
function directReporter(cell: CellStore, host: string, binary: string, topic: string): ServiceReporter {
  return {
    register: async () =>
      (await cell.getOrCreateService({ host, binary, topic, version: SERVICE_VERSION })).id,
    report: async (id) => {
      await cell.reportServiceStates([id])
    },
  }
}

export async function startConductor(rt: Runtime): Promise<Service> {
  const { config } = rt
  const log = rt.log.child({ service: 'nova-conductor', host: config.host })
  const rpc = rt.rpc()
  const cell = rt.cellStore()
  const api = rt.apiStore()
  const cellMapping = await rt.cellMapping()
  const service = new Service(
    'nova-conductor',
    config.host,
    directReporter(cell, config.host, 'nova-conductor', CONDUCTOR_TOPIC),
    config.report_interval,
    log,
    rt.clock,
  )
  const base = new ConductorManager(cell, api, log)
  const compute = new ComputeClient(rpc)
  const tasks = new ComputeTaskManager(
    api,
    cell,
    cellMapping,
    new SchedulerClient(rpc, LONG_RPC_TIMEOUT_S),
    compute,
    log,
    config.scheduler.max_attempts,
    config.host,
  )
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
      tasks,
      new ComputeTaskClient(rpc),
      compute,
      { thresholdS, serviceDownTimeS: config.service_down_time, clock: rt.clock },
      log.child({ task: 'redrive' }),
    )
    service.addTask('redrive_stalled_work', intervalS, () => redriver.run())
  }
  rt.onClose(() => service.stop())
  log.info('nova-conductor started')
  return service
}

export async function startScheduler(rt: Runtime): Promise<Service> {
  const { config } = rt
  const log = rt.log.child({ service: 'nova-scheduler', host: config.host })
  const cell = rt.cellStore()
  const cellMapping = await rt.cellMapping()
  const manager = new SchedulerManager(
    cell,
    schedulerOptionsFrom(config, cellMapping.uuid),
    log,
    schedulerSources(rt),
  )
  await manager.start()
  const service = new Service(
    'nova-scheduler',
    config.host,
    directReporter(cell, config.host, 'nova-scheduler', SCHEDULER_TOPIC),
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

export function createDriver(rt: Runtime): VirtDriver {
  const { config } = rt
  const name = config.compute_driver.toLowerCase()
  if (name === 'fake.fakedriver' || name === 'fake') {
    return new FakeDriver({
      vcpus: config.fake.vcpus,
      memory_mb: config.fake.memory_mb,
      local_gb: config.fake.local_gb,
      spawnDelayS: config.fake.spawn_delay,
      failBuild: config.fake.fail_build,
    })
  }
  throw new Error(`Unknown compute_driver '${config.compute_driver}' (available: fake.FakeDriver)`)
}

/**
 * A compute host. `host` overrides the config's, so one process can run many fake hosts (each
 * still with its own `compute.<host>` queue) for scale tests; they share `[DEFAULT] my_ip`, as
 * hosts in one process do, unless `hostIp` gives one its own.
 */
export async function startCompute(
  rt: Runtime,
  options: { host?: string; hostIp?: string; driver?: VirtDriver } = {},
): Promise<Service> {
  const { config } = rt
  const host = options.host ?? config.host
  const log = rt.log.child({ service: 'nova-compute', host })
  const rpc = rt.rpc()
  const conductor = new ConductorClient(rpc)
  const driver = options.driver ?? createDriver(rt)
  await driver.init(host)
  const manager = new ComputeManager(
    driver,
    conductor,
    new ComputeTaskClient(rpc),
    {
      host,
      hostIp: options.hostIp ?? config.my_ip,
      maxConcurrentBuilds: config.max_concurrent_builds,
      allocationRatios: {
        // Unset (or 0.0, the old default) ratios: Nova's initial_* values.
        cpu: config.cpu_allocation_ratio || config.initial_cpu_allocation_ratio,
        ram: config.ram_allocation_ratio || config.initial_ram_allocation_ratio,
        disk: config.disk_allocation_ratio || config.initial_disk_allocation_ratio,
      },
      reserved: {
        vcpus: config.reserved_host_cpus,
        memoryMb: config.reserved_host_memory_mb,
        diskGb: Math.ceil(config.reserved_host_disk_mb / 1024),
      },
    },
    log,
  )
  const ctx = adminContext()
  const reporter: ServiceReporter = {
    register: async () => {
      // Like nova-compute, wait for the conductor rather than fail when started first.
      const s = await sendUntilDelivered(
        () =>
          conductor.serviceGetOrCreate(ctx, {
            host,
            binary: 'nova-compute',
            topic: COMPUTE_TOPIC,
            version: SERVICE_VERSION,
          }),
        'registration with the conductor',
        log,
        WAIT_FOR_CONDUCTOR,
      )
      return s.id
    },
    report: async (id) => {
      await conductor.serviceReportState(ctx, id)
    },
  }
  const service = new Service('nova-compute', host, reporter, config.report_interval, log, rt.clock)
  service.addSubscription(
    await rpc.serve({ topic: COMPUTE_TOPIC, server: host }, [
      { version: COMPUTE_RPC_VERSION, endpoint: manager },
    ]),
  )
  await service.start()
  const serviceId = service.serviceId!
  await manager.initHost()
  await manager.updateAvailableResource(serviceId)
  service.addTask('update_available_resource', config.update_resources_interval, () =>
    manager.updateAvailableResource(serviceId),
  )
  service.addTask('_sync_power_states', config.sync_power_state_interval, () => manager.syncPowerStates())
  rt.onClose(async () => {
    await service.stop()
  })
  log.info('nova-compute started')
  return service
}

/** Many fake compute hosts in one process (`<host>-1` … `<host>-n`), started a few at a time. */
export async function startFakeHosts(rt: Runtime, count: number, concurrency = 50): Promise<Service[]> {
  const services: Service[] = []
  let next = 1
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next <= count) {
        const host = `${rt.config.host}-${next++}`
        services.push(await startCompute(rt, { host }))
      }
    }),
  )
  return services
}

export interface ApiServer {
  readonly app: FastifyInstance
  readonly url: string
}

export async function startApi(
  rt: Runtime,
  listen: { host?: string; port?: number } = {},
): Promise<ApiServer> {
  const { config } = rt
  const log = rt.log.child({ host: config.host })
  const rpc = rt.rpc()
  const cell = rt.cellStore()
  const placing = groupsAndAggregates(rt)
  const compute = new ComputeApi(
    rt.apiStore(),
    cell,
    new ComputeTaskClient(rpc),
    new ComputeClient(rpc),
    { serviceDownTimeS: config.service_down_time, defaultAvailabilityZone: config.default_availability_zone },
    log,
    imageService(rt),
    placing.placement,
  )
  // Fastify and the routes load only in the process that serves the API.
  const { buildComputeApp } = await import('../api/app.js')
  const app = buildComputeApp({
    compute,
    log,
    authStrategy: config.api.auth_strategy,
    keystone: computeKeystoneAuth(rt),
    verifyProject: projectVerifier(rt),
    images: imageService(rt),
    maxLimit: config.api.max_limit,
    cell,
    serviceDownTimeS: config.service_down_time,
    defaultAvailabilityZone: config.default_availability_zone,
    serverGroups: placing.serverGroups,
    aggregates: placing.aggregates,
  })
  const address = await app.listen({
    host: listen.host ?? config.osapi_compute_listen,
    port: listen.port ?? config.osapi_compute_listen_port,
  })
  const service = new Service(
    'nova-osapi_compute',
    config.host,
    directReporter(cell, config.host, 'nova-osapi_compute', 'osapi_compute'),
    config.report_interval,
    log.child({ service: 'nova-api' }),
    rt.clock,
  )
  await service.start()
  rt.onClose(async () => {
    await service.stop()
    await app.close()
  })
  return { app, url: address }
}
