/** Nova's host aggregate: a named set of hosts with metadata. */
export interface Aggregate {
  readonly id: number
  readonly uuid: string
  readonly name: string
  readonly hosts: readonly string[]
  readonly metadata: Readonly<Record<string, string>>
  readonly created_at: string | null
  readonly updated_at: string | null
}
