/** A service of one cell as every service sees it (Nova's Service object): who it is and whether it reports. */
export interface ServiceRecord {
  readonly id: number
  readonly uuid: string
  readonly host: string
  readonly binary: string
  readonly topic: string | null
  readonly report_count: number
  readonly disabled: boolean
  readonly disabled_reason: string | null
  /** Moved only by a heartbeat: the time the service was last known to be alive. */
  readonly last_seen_up: string | null
  readonly forced_down: boolean
  readonly version: number
  readonly created_at: string | null
  readonly updated_at: string | null
  readonly deleted_at: string | null
  readonly deleted: number
}

/** What a service registers as (`service_get_or_create`). */
export interface ServiceIdentity {
  readonly host: string
  readonly binary: string
  readonly topic: string
  readonly version: number
}
