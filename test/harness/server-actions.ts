/** Helpers for tests of server actions: the action route, Nova's fault bodies, waiting on states. */
import { FakeDriver } from '../../src/virt/fake/fake-driver.js'
import type { ComputeClient, Response } from './client.js'

export type Fault = Record<string, { code: number; message: string }>

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
  501: 'notImplemented',
}

/** Nova's fault body for a status and message. */
export function fault(code: number, message: string): Fault {
  return { [FAULT_NAMES[code] ?? 'computeFault']: { code, message } }
}

/** `POST /servers/{id}/action` with `body`. */
export function act(client: ComputeClient, id: string, body: unknown): Promise<Response> {
  return client.request('POST', `/v2.1/servers/${id}/action`, body)
}

/** A fake driver of a test's own, to look into and to break. */
export function fakeDriver(): FakeDriver {
  return new FakeDriver({ vcpus: 64, memory_mb: 65536, local_gb: 1000, spawnDelayS: 0, failBuild: false })
}

export type ServerView = Record<string, unknown>

/**
 * Poll `GET /servers/{id}` until it shows `status` with nothing in flight (task_state null), and
 * answer it; fail after `timeoutMs` saying what it showed last.
 */
export async function settledAs(
  client: ComputeClient,
  id: string,
  status: string,
  timeoutMs = 20_000,
): Promise<ServerView> {
  const deadline = Date.now() + timeoutMs
  let last: ServerView | undefined
  for (;;) {
    const res = await client.getServer(id)
    last = res.body.server
    if (last?.status === status && last['OS-EXT-STS:task_state'] === null) return last
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${status}: ${last?.status} / ${String(last?.['OS-EXT-STS:task_state'])}`,
      )
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

export type ActionView = Record<string, unknown> & { action: string; request_id: string }
export type EventView = Record<string, unknown> & { event: string; result: string | null }

/** The server's actions, newest first. */
export async function actionsOf(client: ComputeClient, id: string): Promise<ActionView[]> {
  const res = await client.request<{ instanceActions: ActionView[] }>(
    'GET',
    `/v2.1/servers/${id}/os-instance-actions`,
  )
  return res.body.instanceActions
}

/** One action with its events (the caller's microversion decides what shows). */
export async function actionOf(
  client: ComputeClient,
  id: string,
  requestId: string,
): Promise<ActionView & { events?: EventView[] }> {
  const res = await client.request<{ instanceAction: ActionView & { events?: EventView[] } }>(
    'GET',
    `/v2.1/servers/${id}/os-instance-actions/${requestId}`,
  )
  return res.body.instanceAction
}

/** Poll until the action of `requestId` has an event that finished. */
export async function finishedEvent(
  client: ComputeClient,
  id: string,
  requestId: string,
  timeoutMs = 20_000,
): Promise<EventView> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const events = (await actionOf(client, id, requestId)).events ?? []
    const done = events.find((e) => e.finish_time)
    if (done) return done
    if (Date.now() > deadline)
      throw new Error(`no finished event for ${requestId}: ${JSON.stringify(events)}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
