import { Command } from 'commander'
import { type Config, ConfigError, type ConfigSource, configWarnings, loadConfig } from '../config/config.js'
import { createLogger } from '../shared/logger.js'
import { printConfigWarnings, withConfigOptions } from './config-args.js'
import { startIdentity, startIdentityAndImage, startImage } from './identity-image.js'
import { apiDbSync, dbSync } from './manage.js'
import { Runtime } from './runtime.js'
import { serviceList } from './service-list.js'
import { startApi, startCompute, startConductor, startFakeHosts, startScheduler } from './services.js'

type Starter = (rt: Runtime) => Promise<void>

/** Run services until SIGTERM/SIGINT, then close them cleanly. */
async function run(configSources: readonly ConfigSource[], name: string, start: Starter) {
  let config: Config
  try {
    config = loadConfig(configSources)
  } catch (err) {
    // The message names the file, the option and the rule: a stack trace would only bury it.
    if (!(err instanceof ConfigError)) throw err
    console.error(`ERROR: ${err.message}`)
    process.exit(1)
  }
  const log = createLogger({ debug: config.debug, name })
  for (const warning of configWarnings(config)) log.warn(warning)
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

const allInOne = program
  .command('all-in-one')
  .description('every service in one process: in-process transport, SQLite, the fake driver')
const allInOneConfig = withConfigOptions(allInOne)
allInOne
  .option('--fake-hosts <n>', 'run this many fake compute hosts (<host>-1 … <host>-n) instead of one', '1')
  .action(async (opts: { fakeHosts: string }) => {
    const started = Date.now()
    const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
    await run(allInOneConfig(), 'tsnova', async (rt) => {
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
  const command = program.command(name).description(`run nova-${name}`)
  const configSources = withConfigOptions(command)
  command.action(async () => {
    await run(configSources(), `nova-${name}`, start)
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
  const command = program.command(name).description(description)
  const configSources = withConfigOptions(command)
  command.action(async () => {
    await run(
      configSources(),
      name === 'identity' ? 'keystone' : 'glance-api',
      async (rt) => void (await start(rt)),
    )
  })
}

const compute = program.command('compute').description('run nova-compute')
const computeConfig = withConfigOptions(compute)
compute
  .option(
    '--fake-hosts <n>',
    'run this many fake hosts (<host>-1 … <host>-n), each with its own queue, for scale tests',
    '1',
  )
  .action(async (opts: { fakeHosts: string }) => {
    await run(computeConfig(), 'nova-compute', async (rt) => {
      const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
      if (hosts === 1) await startCompute(rt)
      else await startFakeHosts(rt, hosts)
      rt.log.info({ hosts }, 'nova-compute started all hosts')
    })
  })

const serviceListCommand = program
  .command('service')
  .description('the services of the cell database')
  .command('list')
  .description('list services, as `openstack compute service list`')
const serviceListConfig = withConfigOptions(serviceListCommand)
serviceListCommand
  .option('--host <host>', 'only the services on this host')
  .option('--service <binary>', 'only services of this binary (e.g. nova-compute)')
  .action(async (opts: { host?: string; service?: string }) => {
    try {
      const config = loadConfig(serviceListConfig())
      printConfigWarnings(config)
      console.log(await serviceList(config, { host: opts.host, binary: opts.service }))
    } catch (err) {
      console.error(`ERROR: ${(err as Error).message}`)
      process.exitCode = 1
    }
  })

await program.parseAsync(process.argv)
