import type { RequestContext } from '../../shared/context.js'
import type { Logger } from '../../shared/logger.js'
import type { VirtDriver } from '../../virt/driver.js'
import { type GetConsoleOutputArgs, lastBytesOfConsole, tailLengthAsInteger } from '../rpcapi.js'

/** Reading a guest's console log for the API (`os-getConsoleOutput`). */
export class ConsoleOutput {
  constructor(
    private readonly driver: VirtDriver,
    private readonly log: Logger,
  ) {}

  /**
   * Nova's `get_console_output`: the guest's console log, its tail when `tail_length` is given,
   * and of that at most the last `max_bytes` (6.1; a 6.0 message has no max_bytes).
   */
  async run(ctx: RequestContext, args: GetConsoleOutputArgs): Promise<string> {
    this.log.info({ request_id: ctx.requestId, instance_uuid: args.instance.uuid }, 'Get console output')
    let output = await this.driver.getConsoleOutput(args.instance)
    if (args.tail_length != null) output = tailLog(output, args.tail_length)
    // Nova answers `output.decode('ascii', 'replace')`.
    output = output.replace(/[^\p{ASCII}]/gu, '\ufffd')
    return typeof args.max_bytes === 'number' ? lastBytesOfConsole(output, args.max_bytes) : output
  }
}

/**
 * Nova's `_tail_log`: the last `length` lines, split and joined on newlines as Python does (so
 * a log ending in a newline has an empty last line), none for 0 or a non-integer.
 */
export function tailLog(log: string, length: number | string): string {
  const n = tailLengthAsInteger(length)
  if (n === 0) return ''
  const lines = log.split('\n')
  // Python's lines[-n:]: a negative n drops the first -n lines.
  const start = n > 0 ? Math.max(0, lines.length - n) : Math.min(lines.length, -n)
  return lines.slice(start).join('\n')
}
