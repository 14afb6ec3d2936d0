/**
 * The distributed shape for tests: conductor, scheduler, compute hosts and api, each its own OS
 * process (`bin/tsnova <service>`), on fresh MariaDB databases and a given RabbitMQ vhost.
 */
import { ComputeClient } from './client.js'
import { createDatabases } from './databases.js'
import { seedTestImage } from './images.js'
import { freePort, manage, type ServiceProcess, startService, writeConfig } from './processes.js'

type Sections = Record<string, Record<string, string | number>>

export interface DistributedCloudOptions {
  readonly transportUrl: string
  /** Compute hosts, each a process with its own `[DEFAULT] host`. */
  readonly hosts?: readonly string[]
  /** More options for every process, by group (merged over the defaults below). */
  readonly config?: Sections
}

export interface ComputeProcess {
  readonly proc: ServiceProcess
  /** Its own config file (`[DEFAULT] host`), to start it again after `commonConf`. */
  readonly conf: string
}

export interface DistributedCloud {
  /** The API, as project `demo`. */
  readonly client: ComputeClient
  /** The config file every process reads. */
  readonly commonConf: string
  readonly conductor: ServiceProcess
  readonly computes: ReadonlyMap<string, ComputeProcess>
  /** Every process, stopped by `stop()`; a test adds those it starts itself. */
  readonly procs: ServiceProcess[]
  /** Stop every process and drop the databases. */
  stop(): Promise<void>
}

export async function startDistributedCloud(options: DistributedCloudOptions): Promise<DistributedCloud> {
  const dbs = createDatabases('mysql')
  const port = await freePort()
  const given = options.config ?? {}
  const commonConf = writeConfig({
    ...given,
    DEFAULT: {
      transport_url: options.transportUrl,
      host: 'controller',
      osapi_compute_listen: '127.0.0.1',
      osapi_compute_listen_port: port,
      report_interval: 1,
      ...given.DEFAULT,
    },
    database: { connection: dbs.cell },
    api_database: { connection: dbs.api },
    api: { auth_strategy: 'noauth2', ...given.api },
  })
  const procs: ServiceProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()))
    await dbs.drop()
  }
  try {
    await manage([commonConf], 'api_db', 'sync')
    await seedTestImage([commonConf])
    await manage([commonConf], 'db', 'sync')
    const conductor = startService('conductor', [commonConf])
    const scheduler = startService('scheduler', [commonConf])
    procs.push(conductor, scheduler)
    await conductor.waitFor('nova-conductor started')
    await scheduler.waitFor('nova-scheduler started')
    const computes = new Map<string, ComputeProcess>()
    for (const host of options.hosts ?? ['cmp-1', 'cmp-2']) {
      const conf = writeConfig({ DEFAULT: { host } })
      const proc = startService('compute', [commonConf, conf])
      computes.set(host, { proc, conf })
      procs.push(proc)
      await proc.waitFor('nova-compute started')
    }
    const api = startService('api', [commonConf])
    procs.push(api)
    await api.waitFor('nova-api listening')
    const client = new ComputeClient(`http://127.0.0.1:${port}`, 'demo:demo')
    return { client, commonConf, conductor, computes, procs, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
