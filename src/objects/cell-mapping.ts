/** Where a cell's database and message bus are (Nova's CellMapping, in the API database). */
export interface CellMapping {
  readonly id: number
  readonly uuid: string
  readonly name: string | null
  readonly transport_url: string
  readonly database_connection: string
  readonly disabled: boolean
}

/** cell0 always has this uuid: the cell of instances that never got a host. */
export const CELL0_UUID = '00000000-0000-0000-0000-000000000000'

export function isCell0(cell: { readonly uuid: string }): boolean {
  return cell.uuid === CELL0_UUID
}
