import type { FastifyInstance } from 'fastify'
import { HostApi } from '../compute-api/hosts.js'
import { ComputeApi } from '../compute-api/servers.js'
import { ComputeTaskClient } from '../conductor/rpcapi.js'
import { Service } from '../service/service.js'
import type { ControlRuntime } from './control-runtime.js'
import { groupsAndAggregates } from './groups-aggregates.js'
import { computeKeystoneAuth, imageService, projectVerifier } from './identity-image.js'
import { directReporter } from './reporters.js'

export interface ApiServer {
  readonly app: FastifyInstance
  readonly url: string
}

export async function startApi(
  rt: ControlRuntime,
  listen: { host?: string; port?: number } = {},
): Promise<ApiServer> {
  const { config } = rt
  const log = rt.log.child({ host: config.host })
  const rpc = rt.rpc()
  const cells = rt.cells()
  const placing = groupsAndAggregates(rt)
  const hosts = new HostApi(cells, {
    serviceDownTimeS: config.service_down_time,
    defaultAvailabilityZone: config.default_availability_zone,
    serviceZones: placing.aggregates.serviceZones.bind(placing.aggregates),
  })
  const compute = new ComputeApi(
    rt.apiStore(),
    cells,
    new ComputeTaskClient(rpc),
    hosts,
    { defaultAvailabilityZone: config.default_availability_zone, host: config.host },
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
    hosts,
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
    directReporter((await rt.localCell()).store, config.host, 'nova-osapi_compute', 'osapi_compute'),
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
