import { Command } from 'commander'
import { type Config, ConfigError, type ConfigSource, configWarnings, loadConfig } from '../config/config.js'
import { createLogger, type Logger } from '../shared/logger.js'
import { printConfigWarnings, withConfigOptions } from './config-args.js'
import type { ControlRuntime } from './control-runtime.js'
import { Runtime } from './runtime.js'

/*
 * Each command imports what it runs when it runs: `tsnova compute` loads no database code, and
 * no process loads the HTTP stack it does not serve.
 */

type Starter<R extends Runtime> = (rt: R) => Promise<void>

/** Run services that keep state (databases) until SIGTERM/SIGINT, then close them cleanly. */
async function run(configSources: readonly ConfigSource[], name: string, start: Starter<ControlRuntime>) {
  const { ControlRuntime } = await import('./control-runtime.js')
  await runWith(configSources, name, (config, log) => new ControlRuntime(config, log), start)
}

async function runWith<R extends Runtime>(
  configSources: readonly ConfigSource[],
  name: string,
  makeRuntime: (config: Config, log: Logger) => R,
  start: Starter<R>,
) {
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
  const rt = makeRuntime(config, log)
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
      const { apiDbSync, dbSync } = await import('./manage.js')
      const { startConductor } = await import('./conductor.js')
      const { startScheduler } = await import('./scheduler.js')
      const { startCompute, startFakeHosts } = await import('./compute.js')
      const { startApi } = await import('./api.js')
      const { startIdentityAndImage } = await import('./identity-image.js')
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
          : `admin password unknown here (see the warning above): set [identity] bootstrap_password in the config file, or run \`tsnova-manage bootstrap --bootstrap-password …\``,
      )
    })
  })

for (const [name, start] of [
  [
    'api',
    async (rt: ControlRuntime) => {
      const { startApi } = await import('./api.js')
      const api = await startApi(rt)
      rt.log.info(`nova-api listening on ${api.url}`)
    },
  ],
  [
    'conductor',
    async (rt: ControlRuntime) => void (await (await import('./conductor.js')).startConductor(rt)),
  ],
  [
    'scheduler',
    async (rt: ControlRuntime) => void (await (await import('./scheduler.js')).startScheduler(rt)),
  ],
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
    async (rt: ControlRuntime) => (await import('./identity-image.js')).startIdentity(rt),
  ],
  [
    'image',
    'run the built-in image service (Glance v2 subset, [image] bind_port 9292)',
    async (rt: ControlRuntime) => (await import('./identity-image.js')).startImage(rt),
  ],
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
    // A compute host has no database: a plain Runtime.
    await runWith(
      computeConfig(),
      'nova-compute',
      (config, log) => new Runtime(config, log),
      async (rt) => {
        const { startCompute, startFakeHosts } = await import('./compute.js')
        const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
        if (hosts === 1) await startCompute(rt)
        else await startFakeHosts(rt, hosts)
        rt.log.info({ hosts }, 'nova-compute started all hosts')
      },
    )
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
      const { serviceList } = await import('./service-list.js')
      console.log(await serviceList(config, { host: opts.host, binary: opts.service }))
    } catch (err) {
      console.error(`ERROR: ${(err as Error).message}`)
      process.exitCode = 1
    }
  })

await program.parseAsync(process.argv)
