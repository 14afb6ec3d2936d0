import { randomUUID } from 'node:crypto'
import type { ConsoleConnectInfo, ConsoleKind } from '../../objects/console.js'
import { VmState } from '../../objects/states.js'
import type { RequestContext } from '../../shared/context.js'
import {
  ConsoleTypeInvalid,
  ConsoleTypeUnavailable,
  InstanceNotFound,
  InstanceNotReady,
  NotImplementedByDriver,
} from '../../shared/errors.js'
import type { Logger } from '../../shared/logger.js'
import type { VirtDriver } from '../../virt/driver.js'
import type { GetConsoleArgs } from '../rpcapi.js'

/** Whether this host hands out a kind of console, and the proxy URL users are sent to. */
export interface ConsoleSetting {
  readonly enabled: boolean
  readonly baseUrl: string
}

export type ConsoleSettings = Readonly<Record<ConsoleKind, ConsoleSetting>>

/** Nova's defaults: VNC on, the rest off. */
export const DEFAULT_CONSOLE_SETTINGS: ConsoleSettings = {
  vnc: { enabled: true, baseUrl: 'http://127.0.0.1:6080/vnc_auto.html' },
  spice: { enabled: false, baseUrl: 'http://127.0.0.1:6082/spice_auto.html' },
  rdp: { enabled: false, baseUrl: 'http://127.0.0.1:6083/' },
  serial: { enabled: false, baseUrl: 'ws://127.0.0.1:6083/' },
  mks: { enabled: false, baseUrl: 'http://127.0.0.1:6090/' },
}

/** The one console type each protocol accepts (serial checks none, as in Nova). */
const CONSOLE_TYPE: Readonly<Record<ConsoleKind, string | undefined>> = {
  vnc: 'novnc',
  spice: 'spice-html5',
  rdp: 'rdp-html5',
  serial: undefined,
  mks: 'webmks',
}

/**
 * Nova's `get_<protocol>_console`: a console the host has switched on, of the type its protocol
 * serves, from a driver that has it; answered with where it listens and the URL (with a fresh
 * token) the user opens. tsnova has no console proxy yet, so nothing stores the token.
 */
export class RemoteConsole {
  constructor(
    private readonly driver: VirtDriver,
    private readonly settings: ConsoleSettings,
    private readonly log: Logger,
  ) {}

  async run(ctx: RequestContext, kind: ConsoleKind, args: GetConsoleArgs): Promise<ConsoleConnectInfo> {
    const { instance, console_type: consoleType } = args
    this.log.debug({ request_id: ctx.requestId, instance_uuid: instance.uuid, kind }, 'Getting console')
    const setting = this.settings[kind]
    if (!setting.enabled) throw new ConsoleTypeUnavailable(consoleType)
    const accepted = CONSOLE_TYPE[kind]
    if (accepted !== undefined && consoleType !== accepted) throw new ConsoleTypeInvalid(consoleType)
    if (!this.driver.getConsole || !this.driver.consoleKinds.has(kind)) throw new NotImplementedByDriver('')
    let endpoint: Awaited<ReturnType<NonNullable<VirtDriver['getConsole']>>>
    try {
      endpoint = await this.driver.getConsole(instance, kind)
    } catch (err) {
      if (err instanceof InstanceNotFound && instance.vm_state === VmState.BUILDING) {
        throw new InstanceNotReady(instance.uuid)
      }
      throw err
    }
    const token = randomUUID()
    return {
      host: endpoint.host,
      port: endpoint.port,
      internal_access_path: endpoint.internalAccessPath,
      token,
      access_url: accessUrl(setting.baseUrl, consoleType, token),
    }
  }
}

/**
 * Nova's `ConsoleAuthToken.access_url`: noVNC (1.1 and later) takes the token inside its `path`
 * parameter; the other proxies take it as `token`.
 */
function accessUrl(baseUrl: string, consoleType: string | null, token: string): string {
  if (consoleType === 'novnc') return `${baseUrl}?${new URLSearchParams({ path: `?token=${token}` })}`
  return `${baseUrl}?token=${token}`
}
