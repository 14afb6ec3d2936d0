import type { Command } from 'commander'
import { type Config, type ConfigSource, configWarnings } from '../config/config.js'

/**
 * oslo.config's `--config-file FILE` and `--config-dir DIR`, both repeatable, on `command`. They
 * are read in the order given on the command line, later ones overriding earlier ones, as
 * oslo.config does; the returned function gives them in that order once parsed.
 */
export function withConfigOptions(command: Command): () => readonly ConfigSource[] {
  const sources: ConfigSource[] = []
  command
    .option(
      '--config-file <file>',
      'nova.conf-style file (may be repeated; later ones override)',
      (file: string) => {
        sources.push({ file })
        return file
      },
    )
    .option(
      '--config-dir <dir>',
      'read every *.conf in this directory, in sorted order (may be repeated)',
      (dir: string) => {
        sources.push({ dir })
        return dir
      },
    )
  return () => sources
}

/** For commands without a logger: the config's warnings on stderr, where they don't mix with output. */
export function printConfigWarnings(config: Config): void {
  for (const warning of configWarnings(config)) console.error(`WARNING: ${warning}`)
}
