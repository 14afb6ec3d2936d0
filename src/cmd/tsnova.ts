import { Command } from 'commander'
import { type Config, loadConfig } from '../config/config.js'
import { createLogger } from '../shared/logger.js'
import { startIdentity, startIdentityAndImage, startImage } from './identity-image.js'
import { apiDbSync, dbSync } from './manage.js'
import { Runtime } from './runtime.js'
import { serviceList } from './service-list.js'
import { startApi, startCompute, startConductor, startFakeHosts, startScheduler } from './services.js'

type Starter = (rt: Runtime) => Promise<void>

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Run services until SIGTERM/SIGINT, then close them cleanly. */
async function run(
  configFiles: string[],
  name: string,
  start: Starter,
  overrides: Record<string, Record<string, string>> = {},
) {
  const config: Config = loadConfig(configFiles, overrides)
  const log = createLogger({ debug: config.debug, name })
  const rt = new Runtime(config, log)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping')
    await rt.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  try {
    await start(rt)
  } catch (err) {
    log.fatal({ err }, `${name} failed to start`)
    await rt.close()
    process.exit(1)
  }
}

const program = new Command('tsnova').description('OpenStack Nova compute control plane in TypeScript')

program
  .command('all-in-one')
  .description('every service in one process: in-process transport, SQLite, the fake driver')
  .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
  .option('--fake-hosts <n>', 'run this many fake compute hosts (<host>-1 … <host>-n) instead of one', '1')
  .action(async (opts: { configFile: string[]; fakeHosts: string }) => {
    const started = Date.now()
    const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
    await run(opts.configFile, 'tsnova', async (rt) => {
      await apiDbSync(rt.config)
      await dbSync(rt.config)
      await startConductor(rt)
      await startScheduler(rt)
      if (hosts === 1) await startCompute(rt)
      else await startFakeHosts(rt, hosts)
      const api = await startApi(rt)
      const login = await startIdentityAndImage(rt, api.url)
      const ms = Date.now() - started
      console.log(
        `tsnova all-in-one ready in ${ms} ms: compute API at ${api.url}/v2.1, identity at ${login.identityUrl}, image at ${login.imageUrl} (state in ${rt.config.state_path})`,
      )
      console.log(
        login.openrc
          ? `admin credentials: ${login.openrc} (\`. ${login.openrc}\` then \`openstack server list\`)`
          : `admin password unknown here: set it with \`tsnova-manage bootstrap --bootstrap-password …\``,
      )
    })
  })

for (const [name, start] of [
  [
    'api',
    async (rt: Runtime) => {
      const api = await startApi(rt)
      rt.log.info(`nova-api listening on ${api.url}`)
    },
  ],
  ['conductor', async (rt: Runtime) => void (await startConductor(rt))],
  ['scheduler', async (rt: Runtime) => void (await startScheduler(rt))],
] as const) {
  program
    .command(name)
    .description(`run nova-${name}`)
    .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
    .action(async (opts: { configFile: string[] }) => {
      await run(opts.configFile, `nova-${name}`, start)
    })
}

for (const [name, description, start] of [
  [
    'identity',
    'run the built-in identity service (Keystone v3 subset, [identity] bind_port 5000)',
    startIdentity,
  ],
  ['image', 'run the built-in image service (Glance v2 subset, [image] bind_port 9292)', startImage],
] as const) {
  program
    .command(name)
    .description(description)
    .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
    .action(async (opts: { configFile: string[] }) => {
      await run(
        opts.configFile,
        name === 'identity' ? 'keystone' : 'glance-api',
        async (rt) => void (await start(rt)),
      )
    })
}

program
  .command('compute')
  .description('run nova-compute')
  .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
  .option(
    '--fake-hosts <n>',
    'run this many fake hosts (<host>-1 … <host>-n), each with its own queue, for scale tests',
    '1',
  )
  .action(async (opts: { configFile: string[]; fakeHosts: string }) => {
    await run(opts.configFile, 'nova-compute', async (rt) => {
      const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
      if (hosts === 1) await startCompute(rt)
      else await startFakeHosts(rt, hosts)
      rt.log.info({ hosts }, 'nova-compute started all hosts')
    })
  })

program
  .command('service')
  .description('the services of the cell database')
  .command('list')
  .description('list services, as `openstack compute service list`')
  .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
  .option('--host <host>', 'only the services on this host')
  .option('--service <binary>', 'only services of this binary (e.g. nova-compute)')
  .action(async (opts: { configFile: string[]; host?: string; service?: string }) => {
    try {
      console.log(await serviceList(loadConfig(opts.configFile), { host: opts.host, binary: opts.service }))
    } catch (err) {
      console.error(`ERROR: ${(err as Error).message}`)
      process.exitCode = 1
    }
  })

await program.parseAsync(process.argv)
