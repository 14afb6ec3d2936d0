import { Command } from 'commander'
import { type Config, loadConfig } from '../config/config.js'
import { configMarkdown, sampleConfig } from '../config/generate.js'
import { printConfigWarnings, withConfigOptions } from './config-args.js'
import { apiDbSync, dbSync, listCells, mapCell0Command } from './manage.js'
import { redact } from './runtime.js'
import { formatTable } from './table.js'

/** Admin commands, as operators know them from `nova-manage`. */
const program = new Command('tsnova-manage').description('tsnova administration')
// Before or after the command, as nova-manage takes them: `tsnova-manage --config-file f db sync`.
const configSources = withConfigOptions(program)

function config(): Config {
  const loaded = loadConfig(configSources())
  printConfigWarnings(loaded)
  return loaded
}

const db = program.command('db').description('the cell database')
db.command('sync')
  .description('create or upgrade the cell database schema and map the cell')
  .action(async () => {
    const applied = await dbSync(config())
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.')
  })

const cellV2 = program.command('cell_v2').description('cells v2: cell and host mappings')
cellV2
  .command('map_cell0')
  .description('map cell0, the cell of servers no host could take, and create its schema')
  .option('--database_connection <url>', "cell0's database (default: [database] connection + '_cell0')")
  .action(async (o: { database_connection?: string }) => {
    const cell0 = await mapCell0Command(config(), o.database_connection)
    console.log(`Cell0 is mapped to ${redact(cell0.database_connection)}`)
  })
cellV2
  .command('list_cells')
  .description('list the cell mappings (passwords hidden)')
  .action(async () => {
    const rows = (await listCells(config())).map((c) => [
      c.name ?? '',
      c.uuid,
      redact(c.transport_url),
      redact(c.database_connection),
      c.disabled ? 'True' : 'False',
    ])
    console.log(formatTable(['Name', 'UUID', 'Transport URL', 'Database Connection', 'Disabled'], rows))
  })

const apiDb = program.command('api_db').description('the API database')
apiDb
  .command('sync')
  .description('create or upgrade the API database schema')
  .action(async () => {
    const applied = await apiDbSync(config())
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'API database is up to date.')
  })

program
  .command('bootstrap')
  .description(
    'create the admin user, project and role and the service catalog (as keystone-manage bootstrap)',
  )
  .option('--bootstrap-password <password>', 'the admin password (default: $OS_BOOTSTRAP_PASSWORD)')
  .option('--bootstrap-username <name>', 'the admin user', 'admin')
  .option('--bootstrap-project-name <name>', 'the admin project', 'admin')
  .option('--bootstrap-role-name <name>', 'the admin role', 'admin')
  .option('--bootstrap-region-id <region>', 'the region of the endpoints (default: [identity] region_name)')
  .option(
    '--bootstrap-public-url <url>',
    'the identity endpoint (default: from [identity] bind_host/bind_port)',
  )
  .option('--bootstrap-compute-url <url>', 'the compute endpoint (default: from osapi_compute_listen[_port])')
  .option('--bootstrap-image-url <url>', 'the image endpoint (default: from [image] bind_host/bind_port)')
  .action(async (o: Record<string, string | undefined>) => {
    const { bootstrapCommand } = await import('./identity-manage.js')
    console.log(await bootstrapCommand(config(), o))
  })

program
  .command('image')
  .description('images of the built-in image service')
  .command('upload')
  .description('add an image from a file, as `openstack image create --file` (no client or service needed)')
  .argument('<name>', 'the image name')
  .requiredOption('--file <path>', 'the image data')
  .option('--disk-format <format>', 'raw, qcow2, vmdk, vdi, iso, … (as Glance)', 'raw')
  .option('--container-format <format>', 'bare, ovf, ova, … (as Glance)', 'bare')
  .option('--public', 'visible to every project (without it: shared, the owner and its members only)')
  .action(
    async (
      name: string,
      o: { file: string; diskFormat: string; containerFormat: string; public?: boolean },
    ) => {
      const { imageUploadCommand } = await import('./identity-manage.js')
      console.log(await imageUploadCommand(config(), { name, ...o, public: o.public === true }))
    },
  )

const configCommand = program.command('config').description("tsnova's options")
configCommand
  .command('sample')
  .description('print a sample nova.conf: every option commented out, with its help and default')
  .action(() => void process.stdout.write(sampleConfig()))
configCommand
  .command('markdown')
  .description('print the options reference in Markdown (docs/configuration.md)')
  .action(() => void process.stdout.write(configMarkdown()))

try {
  await program.parseAsync(process.argv)
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`)
  process.exit(1)
}
