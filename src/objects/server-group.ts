/** Nova's InstanceGroup: a named policy over a set of servers. */
export interface ServerGroup {
  readonly id: number
  readonly uuid: string
  readonly name: string | null
  readonly project_id: string | null
  readonly user_id: string | null
  /** `affinity`, `anti-affinity`, `soft-affinity` or `soft-anti-affinity` */
  readonly policy: string
  /** Typed as Nova's `InstanceGroup.rules`: only `max_server_per_host`, an integer. */
  readonly rules: { readonly max_server_per_host?: number }
  /** Member instance uuids, in the order they joined. */
  readonly members: readonly string[]
}
