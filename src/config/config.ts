import { readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Config, registry } from './options/index.js'
import { ConfigError, type ParsedConfigFile, parseConfigFile } from './parser.js'
import { type ConfigOverrides, OptionResolver } from './resolve.js'
import { unknownOptionWarnings } from './warnings.js'

export type { Config } from './options/index.js'
export { ConfigError } from './parser.js'
export type { ConfigOverrides } from './resolve.js'

/**
 * Where options come from, in order, later ones overriding earlier ones as in oslo.config: a
 * `--config-file` (a plain string is one too), or a `--config-dir`: every `*.conf` in it, in
 * sorted order.
 */
export type ConfigSource = string | { readonly file: string } | { readonly dir: string }

const warningsOfConfig = new WeakMap<Config, readonly string[]>()

/**
 * nova.conf, read as oslo.config reads it (see parser.ts for the syntax): the files of `sources`
 * merged, later ones winning, then `overrides` set in code above them all. Every option has
 * Nova's name and default; a value of the wrong type or out of range is an error naming the
 * option. Unknown options of tsnova's groups are warnings: `configWarnings(config)`.
 */
export function loadConfig(sources: readonly ConfigSource[] = [], overrides: ConfigOverrides = {}): Config {
  const files = sources.flatMap(filesOf).map(readConfigFile)
  const resolver = new OptionResolver(files, overrides)
  const values: Record<string, unknown> = {}
  for (const [group, { options }] of Object.entries(registry)) {
    const target: Record<string, unknown> = group === 'DEFAULT' ? values : {}
    for (const name of Object.keys(options)) target[name] = resolver.value(group, name)
    if (group !== 'DEFAULT') values[group] = target
  }
  // Each value came from its own option's parse and resolve, whose types make up Config.
  const config = values as Config
  warningsOfConfig.set(config, unknownOptionWarnings(files))
  return config
}

/** What loading `config` found worth telling the operator (unknown options), to log once at start. */
export function configWarnings(config: Config): readonly string[] {
  return warningsOfConfig.get(config) ?? []
}

/** `~` and relative paths, as oslo.config expands them. */
function expandPath(file: string): string {
  const home = file === '~' || file.startsWith('~/') ? os.homedir() + file.slice(1) : file
  return path.resolve(home)
}

function filesOf(source: ConfigSource): string[] {
  if (typeof source === 'string') return [expandPath(source)]
  if ('file' in source) return [expandPath(source.file)]
  const dir = expandPath(source.dir)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    throw new ConfigError(`Cannot read config directory ${dir}: ${(err as Error).message}`)
  }
  // As the shell's glob `*.conf`: hidden files are not matched.
  return names
    .filter((name) => name.endsWith('.conf') && !name.startsWith('.'))
    .sort()
    .map((name) => path.join(dir, name))
}

function readConfigFile(file: string): ParsedConfigFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`)
  }
  return parseConfigFile(text, file)
}
