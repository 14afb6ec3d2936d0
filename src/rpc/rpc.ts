import type { RequestContext } from '../shared/context.js'
import { MessagingTimeout, NoSuchMethod, UnsupportedVersion } from '../shared/errors.js'
import type { Logger } from '../shared/logger.js'
import type { Message, Subscription, Target, Transport } from './transport.js'
import { deserializeFailure, newId, packContext, serializeFailure, unpackContext } from './wire.js'

/** An RPC endpoint method: the request context plus the message's keyword arguments. */
export type EndpointMethod = (ctx: RequestContext, args: Record<string, unknown>) => Promise<unknown>

/** The methods a manager exposes over RPC, by name. Names starting with `_` are never dispatched. */
export type Endpoint = object

export interface ClientTarget extends Target {
  /** The interface version this client speaks, e.g. "6.0"; the server refuses a newer major or minor. */
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

  client(target: ClientTarget): RpcClient {
    return new RpcClient(this, target)
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
      const answered = await this.dispatch(message, endpoints)
      // A call whose reply never left may be redelivered: let that copy run again (handlers are idempotent).
      if (!answered && uniqueId) seen.delete(uniqueId)
    })
  }

  /** Run the method and answer a call; false if the reply could not be sent. */
  private async dispatch(message: Message, endpoints: readonly ServedEndpoint[]): Promise<boolean> {
    const ctx = unpackContext(message)
    const method = String(message.method ?? '')
    const msgId = typeof message._msg_id === 'string' ? message._msg_id : undefined
    const replyQ = typeof message._reply_q === 'string' ? message._reply_q : undefined
    const log = this.log.child({ request_id: ctx.requestId, method })
    let result: unknown = null
    let failure: string | null = null
    try {
      const fn = findMethod(endpoints, message, method)
      result = (await fn(ctx, (message.args ?? {}) as Record<string, unknown>)) ?? null
    } catch (err) {
      failure = serializeFailure(err)
      if (msgId) log.debug({ err }, 'RPC call failed; returning the failure to the caller')
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

function findMethod(endpoints: readonly ServedEndpoint[], message: Message, method: string): EndpointMethod {
  const namespace = typeof message.namespace === 'string' ? message.namespace : undefined
  const version = typeof message.version === 'string' ? message.version : '1.0'
  let versionMismatch = false
  for (const served of endpoints) {
    if ((served.namespace ?? undefined) !== namespace) continue
    if (!versionCompatible(served.version, version)) {
      versionMismatch = true
      continue
    }
    const fn = (served.endpoint as Record<string, unknown>)[method]
    if (typeof fn === 'function' && !method.startsWith('_') && !(method in Object.prototype)) {
      return (fn as EndpointMethod).bind(served.endpoint)
    }
  }
  if (versionMismatch) throw new UnsupportedVersion(version, method)
  throw new NoSuchMethod(method)
}

/** oslo's rule: same major, and the server's minor at least the requested one. */
export function versionCompatible(serverVersion: string, requested: string): boolean {
  const [sMaj, sMin = 0] = serverVersion.split('.').map(Number)
  const [rMaj, rMin = 0] = requested.split('.').map(Number)
  return sMaj === rMaj && sMin! >= rMin!
}

/** A client stub bound to one target: what every `rpcapi.ts` is built from. */
export class RpcClient {
  constructor(
    readonly rpc: Rpc,
    readonly target: ClientTarget,
  ) {}

  /** The same client aimed at one server (`compute.<host>`). */
  prepare(overrides: Partial<ClientTarget>): RpcClient {
    return new RpcClient(this.rpc, { ...this.target, ...overrides })
  }

  cast(ctx: RequestContext, method: string, args: object): Promise<void> {
    return this.rpc.cast(ctx, this.target, method, args)
  }

  call<T>(ctx: RequestContext, method: string, args: object, timeoutS?: number): Promise<T> {
    return this.rpc.call<T>(ctx, this.target, method, args, timeoutS)
  }
}
