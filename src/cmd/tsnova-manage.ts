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

try {
  await program.parseAsync(process.argv)
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`)
  process.exit(1)
}
