/** os-getConsoleOutput, and the remote console actions of microversions 2.1–2.5. */
import type { ComputeApi } from '../../../compute-api/servers.js'
import type { ConsoleKind } from '../../../objects/console.js'
import { validateGetConsoleOutput } from '../../schemas/console-output.js'
import {
  validateGetRdpConsole,
  validateGetSerialConsole,
  validateGetSpiceConsole,
  validateGetVncConsole,
} from '../../schemas/remote-consoles.js'
import { answeringAction, type ServerAction } from './server-action.js'

/** Nova still strips characters invalid in XML (controls but tab and newline) from console output. */
function stripXmlInvalid(text: string): string {
  let out = ''
  for (const ch of text) {
    const c = ch.charCodeAt(0)
    if (c < 0x20 && c !== 0x09 && c !== 0x0a) continue
    out += ch
  }
  return out
}

/** A remote console action before 2.6: 200 `{"console": {"type", "url"}}`. */
function legacyConsole(
  compute: ComputeApi,
  key: string,
  kind: ConsoleKind,
  validate: (body: unknown) => Record<string, { type: string }>,
): ServerAction {
  return answeringAction(
    compute,
    validate,
    async ({ ctx }, server, body) => {
      const type = body[key]!.type
      // Only the VNC action catches a state refusal as a 409; the others answer it as a 400.
      const refusal = kind === 'vnc' ? { conflictAs: 'get_vnc_console' } : 'bad-request'
      const url = await compute.serverActions.consoles.remote(ctx, server, kind, type, refusal)
      return { status: 200, body: { console: { type, url } } }
    },
    { maxVersion: '2.5' },
  )
}

export function consoleActions(compute: ComputeApi): [string, ServerAction][] {
  return [
    [
      'os-getConsoleOutput',
      // Nova's ConsoleOutputController: 200 `{"output": …}`, read by the instance's compute host.
      answeringAction(compute, validateGetConsoleOutput, async ({ ctx }, server, body) => {
        const length = body['os-getConsoleOutput'].length ?? null
        const output = await compute.serverActions.consoles.output(ctx, server, length)
        return { status: 200, body: { output: stripXmlInvalid(output) } }
      }),
    ],
    ['os-getVNCConsole', legacyConsole(compute, 'os-getVNCConsole', 'vnc', validateGetVncConsole)],
    ['os-getSPICEConsole', legacyConsole(compute, 'os-getSPICEConsole', 'spice', validateGetSpiceConsole)],
    ['os-getRDPConsole', legacyConsole(compute, 'os-getRDPConsole', 'rdp', validateGetRdpConsole)],
    [
      'os-getSerialConsole',
      legacyConsole(compute, 'os-getSerialConsole', 'serial', validateGetSerialConsole),
    ],
  ]
}
