import type { RequestContext } from '../shared/context.js'
import { MessagingTimeout, NoSuchMethod, UnsupportedVersion } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { Message, Subscription, Target, Transport } from './transport.js'
import {
  canSendVersion,
  NO_VERSION_CAP,
  type RpcApiVersions,
  RpcVersionCapError,
  type VersionCap,
  type VersionCapSource,
  versionCompatible,
} from './version-cap.js'
import { deserializeFailure, newId, packContext, serializeFailure, unpackContext } from './wire.js'

/** An RPC endpoint method: the request context plus the message's keyword arguments. */
export type EndpointMethod = (ctx: RequestContext, args: Record<string, unknown>) => Promise<unknown>

/** The methods a manager exposes over RPC, by name. Names starting with `_` are never dispatched. */
export type Endpoint = object

export interface ClientTarget extends Target {
  /**
   * The version messages go out with, e.g. "6.0": the version of the method form sent. A server
   * refuses a version with another major or a newer minor than its own.
   */
  readonly version: string
  /** oslo's namespace: conductor's build methods live in `compute_task`. */
  readonly namespace?: string
}

export interface ServedEndpoint {
  readonly namespace?: string
  readonly version: string
  readonly endpoint: Endpoint
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
  timer: NodeJS.Timeout
  /** The request reached the broker: its reply may be lost with the reply queue. */
  sent: boolean
}

/** How many recent `_unique_id`s a server remembers, to drop redelivered duplicates. */
const DUPLICATE_WINDOW = 4096

/**
 * Call, cast and fanout over a Transport, with oslo.messaging's semantics: a call carries
 * `_msg_id` and `_reply_q`, waits up to its timeout, and raises the remote's error as a typed
 * error; a cast returns once the message is handed to the broker.
 */
export class Rpc {
  private readonly pending = new Map<string, Pending>()
  private replyQ: Promise<string> | undefined

  constructor(
    readonly transport: Transport,
    private readonly log: Logger,
    /** `rpc_response_timeout`, seconds. */
    private readonly responseTimeoutS = 60,
  ) {}

  client(target: ClientTarget, versionCap: VersionCap = NO_VERSION_CAP): RpcClient {
    return new RpcClient(this, target, versionCap)
  }

  async cast(ctx: RequestContext, target: ClientTarget, method: string, args: object): Promise<void> {
    const message = this.request(ctx, target, method, args)
    await this.transport.send(target, message)
  }

  async call<T>(
    ctx: RequestContext,
    target: ClientTarget,
    method: string,
    args: object,
    timeoutS = this.responseTimeoutS,
  ): Promise<T> {
    if (target.fanout) throw new Error('A call cannot be fanned out')
    this.replyQ ??= this.transport
      .replyQueue((m) => this.onReply(m), {
        onLost: () => this.failCallsAwaitingLostReplies(),
        onUndeliverable: (request, key) => this.failUndeliverableCall(request, key),
      })
      .catch((err: unknown) => {
        // Not cached: the next call tries to declare the reply queue again.
        this.replyQ = undefined
        throw err
      })
    const replyQ = await this.replyQ
    const msgId = newId()
    const message = this.request(ctx, target, method, args)
    message._msg_id = msgId
    message._reply_q = replyQ
    message._timeout = null
    const result = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId)
        reject(new MessagingTimeout(`Timed out waiting for a reply to message ID ${msgId}`))
      }, timeoutS * 1000)
      this.pending.set(msgId, { resolve: resolve as (v: unknown) => void, reject, timer, sent: false })
    })
    // It may fail while the request is still being sent (returned unroutable, timed out): handled
    // once returned below, but not yet while awaiting the send.
    result.catch(() => {})
    try {
      await this.transport.send(target, message, { ttlMs: timeoutS * 1000 })
      const p = this.pending.get(msgId)
      if (p) p.sent = true
    } catch (err) {
      this.takePending(msgId)
      throw err
    }
    return result
  }

  /** Serve endpoints on a target; each request is answered (if a call) before it is acknowledged. */
  async serve(target: Target, endpoints: readonly ServedEndpoint[]): Promise<Subscription> {
    const seen = new Set<string>()
    const seenOrder: string[] = []
    return this.transport.listen(target, async (message) => {
      const uniqueId = typeof message._unique_id === 'string' ? message._unique_id : undefined
      if (uniqueId) {
        if (seen.has(uniqueId)) {
          this.log.warn({ uniqueId, method: message.method }, 'duplicate message ignored')
          return
        }
        seen.add(uniqueId)
        seenOrder.push(uniqueId)
        if (seenOrder.length > DUPLICATE_WINDOW) seen.delete(seenOrder.shift()!)
      }
      const answered = await this.dispatch(message, endpoints, target.topic)
      // A call whose reply never left may be redelivered: let that copy run again (handlers are idempotent).
      if (!answered && uniqueId) seen.delete(uniqueId)
    })
  }

  /** Run the method and answer a call; false if the reply could not be sent. */
  private async dispatch(
    message: Message,
    endpoints: readonly ServedEndpoint[],
    topic: string,
  ): Promise<boolean> {
    const ctx = unpackContext(message)
    const method = String(message.method ?? '')
    const msgId = typeof message._msg_id === 'string' ? message._msg_id : undefined
    const replyQ = typeof message._reply_q === 'string' ? message._reply_q : undefined
    const log = this.log.child({ request_id: ctx.requestId, method })
    let result: unknown = null
    let failure: string | null = null
    try {
      const fn = findMethod(endpoints, message, method, topic)
      result = (await fn(ctx, (message.args ?? {}) as Record<string, unknown>)) ?? null
    } catch (err) {
      failure = serializeFailure(err)
      if (err instanceof UnsupportedVersion) {
        // A sender newer than this server, not capped for it: an upgrade gone out of order. A cast
        // has nobody to tell, so it must show in this server's log.
        const detail = { version: message.version, namespace: message.namespace }
        if (msgId) log.warn({ ...detail, err }, `RPC call refused: ${err.message}`)
        else log.error({ ...detail, err }, `RPC cast refused and dropped: ${err.message}`)
      } else if (msgId) log.debug({ err }, 'RPC call failed; returning the failure to the caller')
      else log.error({ err }, 'RPC cast failed')
    }
    if (msgId && replyQ) {
      try {
        await this.transport.reply(replyQ, {
          result,
          failure,
          ending: true,
          _msg_id: msgId,
          _unique_id: newId(),
        })
      } catch (err) {
        log.error({ err, replyQ }, 'could not send reply')
        return false
      }
    }
    return true
  }

  /**
   * The broker lost our reply queue (it restarted): a reply to a request sent before then will
   * never come, so fail those calls now rather than at their timeout. MessagingTimeout, because
   * the request may or may not have been handled; a call still being sent is left to wait.
   */
  private failCallsAwaitingLostReplies(): void {
    for (const [msgId, p] of this.pending) {
      if (!p.sent) continue
      this.takePending(msgId)
      p.reject(
        new MessagingTimeout(
          `The reply to message ID ${msgId} was lost: the message broker lost the reply queue`,
        ),
      )
    }
  }

  /** Nobody can answer a request the broker returned: fail its call now, as its timeout would. */
  private failUndeliverableCall(request: Message, routingKey: string): void {
    const msgId = String(request._msg_id ?? '')
    const p = this.takePending(msgId)
    p?.reject(
      new MessagingTimeout(
        `No server listens on '${routingKey}': the message broker returned message ID ${msgId} (${String(request.method)})`,
      ),
    )
  }

  /** A call that is over: no longer awaited, its timer stopped. */
  private takePending(msgId: string): Pending | undefined {
    const p = this.pending.get(msgId)
    if (!p) return undefined
    clearTimeout(p.timer)
    this.pending.delete(msgId)
    return p
  }

  private onReply(message: Message): void {
    const msgId = String(message._msg_id ?? '')
    const p = this.pending.get(msgId)
    if (!p) return
    // A reply with `ending: false` and no result is a call-monitor keep-alive: keep waiting.
    if (message.ending === false && message.result == null && message.failure == null) return
    this.takePending(msgId)
    if (typeof message.failure === 'string') p.reject(deserializeFailure(message.failure))
    else p.resolve(message.result)
  }

  private request(ctx: RequestContext, target: ClientTarget, method: string, args: object): Message {
    const message: Message = { method, args, version: target.version, _unique_id: newId() }
    if (target.namespace) message.namespace = target.namespace
    return packContext(message, ctx)
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer)
    this.pending.clear()
    await this.transport.close()
  }
}

function findMethod(
  endpoints: readonly ServedEndpoint[],
  message: Message,
  method: string,
  topic: string,
): EndpointMethod {
  const namespace = typeof message.namespace === 'string' ? message.namespace : undefined
  const version = typeof message.version === 'string' ? message.version : '1.0'
  const inNamespace = endpoints.filter((served) => (served.namespace ?? undefined) === namespace)
  // As oslo's dispatcher: a compatible endpoint without the method is NoSuchMethod; only when
  // no endpoint of the namespace is compatible is the version the problem.
  let foundCompatible = false
  for (const served of inNamespace) {
    if (!versionCompatible(served.version, version)) continue
    foundCompatible = true
    const fn = (served.endpoint as Record<string, unknown>)[method]
    if (typeof fn === 'function' && !method.startsWith('_') && !(method in Object.prototype)) {
      return (fn as EndpointMethod).bind(served.endpoint)
    }
  }
  if (foundCompatible || inNamespace.length === 0) throw new NoSuchMethod(method)
  throw unsupportedVersion(version, method, topic, namespace, inNamespace)
}

/** oslo's UnsupportedVersion, with what the sender's operator needs: the version served here. */
function unsupportedVersion(
  requested: string,
  method: string,
  topic: string,
  namespace: string | undefined,
  served: readonly ServedEndpoint[],
): UnsupportedVersion {
  const err = new UnsupportedVersion(requested, method)
  const where = namespace ? `${topic} endpoint (namespace ${namespace})` : `${topic} endpoint`
  const versions = served.map((s) => s.version).join(', ')
  const knob = !namespace && UPGRADE_LEVEL_TOPICS.has(topic) ? ` with [upgrade_levels] ${topic}` : ''
  err.message = `${err.message}. This server's ${where} is at version ${versions}: upgrade it, or cap what is sent to it${knob}`
  return err
}

/** The topics whose senders an `[upgrade_levels]` option caps. */
const UPGRADE_LEVEL_TOPICS = new Set(['compute', 'conductor', 'scheduler'])

/**
 * A client bound to one target, as oslo's RPCClient: `prepare` aims it at one server or another
 * version, and a message above its version cap is refused here, before it is sent.
 */
export class RpcClient {
  constructor(
    readonly rpc: Rpc,
    readonly target: ClientTarget,
    readonly versionCap: VersionCap = NO_VERSION_CAP,
  ) {}

  /** The same client aimed at one server (`compute.<host>`), or sending another version. */
  prepare(overrides: Partial<ClientTarget>): RpcClient {
    return new RpcClient(this.rpc, { ...this.target, ...overrides }, this.versionCap)
  }

  /** The same client under another cap. */
  withCap(versionCap: VersionCap): RpcClient {
    return new RpcClient(this.rpc, this.target, versionCap)
  }

  /** Whether a message of `version` is within the cap (oslo's `can_send_version`). */
  canSendVersion(version: string): boolean {
    return canSendVersion(this.versionCap, version)
  }

  async cast(ctx: RequestContext, method: string, args: object): Promise<void> {
    this.checkCap(method)
    return this.rpc.cast(ctx, this.target, method, args)
  }

  async call<T>(ctx: RequestContext, method: string, args: object, timeoutS?: number): Promise<T> {
    this.checkCap(method)
    return this.rpc.call<T>(ctx, this.target, method, args, timeoutS)
  }

  private checkCap(method: string): void {
    if (this.canSendVersion(this.target.version)) return
    const api = this.target.namespace ? `${this.target.topic} (${this.target.namespace})` : this.target.topic
    throw new RpcVersionCapError(api, method, this.target.version, this.versionCap)
  }
}

/**
 * What a client stub sends through: one RPC API (its version table) on one topic, under a cap
 * that may move (`[upgrade_levels] compute = auto`). Like Nova's rpcapi `router`, each message
 * first takes the cap in force, then goes out with the version of the method form sent.
 */
export class VersionedRpcClient<M extends string> {
  private readonly base: RpcClient

  constructor(
    rpc: Rpc,
    target: Omit<ClientTarget, 'version'>,
    readonly versions: RpcApiVersions<M>,
    private readonly cap: VersionCapSource,
  ) {
    this.base = rpc.client({ ...target, version: versions.current })
  }

  /** The client under the cap in force now, aimed at `server` if given: for a method with older forms. */
  async router(server?: string): Promise<RpcClient> {
    const client = this.base.withCap(await this.cap.current())
    return server === undefined ? client : client.prepare({ server })
  }

  /** Send `method` in its current form; fails fast if the cap is below that form's version. */
  async call<T>(
    ctx: RequestContext,
    method: M,
    args: object,
    options: { server?: string; timeoutS?: number } = {},
  ): Promise<T> {
    const client = (await this.router(options.server)).prepare({ version: this.versions.methods[method] })
    return client.call<T>(ctx, method, args, options.timeoutS)
  }

  /** Cast `method` in its current form; fails fast if the cap is below that form's version. */
  async cast(ctx: RequestContext, method: M, args: object, options: { server?: string } = {}): Promise<void> {
    const client = (await this.router(options.server)).prepare({ version: this.versions.methods[method] })
    return client.cast(ctx, method, args)
  }
}
