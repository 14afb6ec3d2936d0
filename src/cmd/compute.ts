import { ComputeManager } from '../compute/manager.js'
import { COMPUTE_RPC_VERSION, COMPUTE_TOPIC } from '../compute/rpcapi.js'
import { ComputeTaskClient, ConductorClient } from '../conductor/rpcapi.js'
import { type RetryPolicy, sendUntilDelivered } from '../rpc/retry.js'
import { SERVICE_VERSION, Service, type ServiceReporter } from '../service/service.js'
import { adminContext } from '../shared/context.js'
import type { VirtDriver } from '../virt/driver.js'
import { FakeDriver } from '../virt/fake/fake-driver.js'
import type { Runtime } from './runtime.js'

/*
 * Everything `tsnova compute` runs starts here: nothing reachable from this file may import the
 * database layer (checked in CI by .dependency-cruiser.cjs).
 */

/** A compute started before any conductor waits for one as long as it takes. */
const WAIT_FOR_CONDUCTOR: RetryPolicy = {
  giveUpAfterMs: Number.POSITIVE_INFINITY,
  initialDelayMs: 500,
  maxDelayMs: 5000,
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
  const conductor = new ConductorClient(rpc, rt.upgradeLevel('conductor'))
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
      shutdownTimeoutS: config.shutdown_timeout,
      consoles: {
        vnc: { enabled: config.vnc.enabled, baseUrl: config.vnc.novncproxy_base_url },
        spice: { enabled: config.spice.enabled, baseUrl: config.spice.html5proxy_base_url },
        rdp: { enabled: config.rdp.enabled, baseUrl: config.rdp.html5_proxy_base_url },
        serial: { enabled: config.serial_console.enabled, baseUrl: config.serial_console.base_url },
        mks: { enabled: config.mks.enabled, baseUrl: config.mks.mksproxy_base_url },
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
