import { Command } from 'commander'
import { type Config, loadConfig } from '../config/config.js'
import { createLogger, type Logger } from '../shared/logger.js'
import type { ControlRuntime } from './control-runtime.js'
import { Runtime } from './runtime.js'

/*
 * Each command imports what it runs when it runs: `tsnova compute` loads no database code, and
 * no process loads the HTTP stack it does not serve.
 */

type Starter<R extends Runtime> = (rt: R) => Promise<void>

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Run services that keep state (databases) until SIGTERM/SIGINT, then close them cleanly. */
async function run(configFiles: string[], name: string, start: Starter<ControlRuntime>) {
  const { ControlRuntime } = await import('./control-runtime.js')
  await runWith(configFiles, name, (config, log) => new ControlRuntime(config, log), start)
}

async function runWith<R extends Runtime>(
  configFiles: string[],
  name: string,
  makeRuntime: (config: Config, log: Logger) => R,
  start: Starter<R>,
) {
  const config: Config = loadConfig(configFiles)
  const log = createLogger({ debug: config.debug, name })
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

program
  .command('all-in-one')
  .description('every service in one process: in-process transport, SQLite, the fake driver')
  .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])
  .option('--fake-hosts <n>', 'run this many fake compute hosts (<host>-1 … <host>-n) instead of one', '1')
  .action(async (opts: { configFile: string[]; fakeHosts: string }) => {
    const started = Date.now()
    const hosts = Math.max(1, Number(opts.fakeHosts) || 1)
    await run(opts.configFile, 'tsnova', async (rt) => {
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
          : `admin password unknown here: set it with \`tsnova-manage bootstrap --bootstrap-password …\``,
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
    async (rt: ControlRuntime) => (await import('./identity-image.js')).startIdentity(rt),
  ],
  [
    'image',
    'run the built-in image service (Glance v2 subset, [image] bind_port 9292)',
    async (rt: ControlRuntime) => (await import('./identity-image.js')).startImage(rt),
  ],
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
    // A compute host has no database: a plain Runtime.
    await runWith(
      opts.configFile,
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
      const { serviceList } = await import('./service-list.js')
      console.log(await serviceList(loadConfig(opts.configFile), { host: opts.host, binary: opts.service }))
    } catch (err) {
      console.error(`ERROR: ${(err as Error).message}`)
      process.exitCode = 1
    }
  })

await program.parseAsync(process.argv)
