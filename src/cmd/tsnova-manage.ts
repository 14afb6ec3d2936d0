import { Command } from 'commander'
import { loadConfig } from '../config/config.js'
import { apiDbSync, dbSync } from './manage.js'

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Admin commands, as operators know them from `nova-manage`. */
const program = new Command('tsnova-manage')
  .description('tsnova administration')
  .option('--config-file <file>', 'nova.conf-style file (may be repeated)', collect, [])

const files = () => program.opts<{ configFile: string[] }>().configFile

const db = program.command('db').description('the cell database')
db.command('sync')
  .description('create or upgrade the cell database schema and map the cell')
  .action(async () => {
    const applied = await dbSync(loadConfig(files()))
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.')
  })

const apiDb = program.command('api_db').description('the API database')
apiDb
  .command('sync')
  .description('create or upgrade the API database schema')
  .action(async () => {
    const applied = await apiDbSync(loadConfig(files()))
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
    console.log(await bootstrapCommand(loadConfig(files()), o))
  })

try {
  await program.parseAsync(process.argv)
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`)
  process.exit(1)
}
