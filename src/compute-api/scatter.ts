import type { Cell } from '../cells/cell-router.js'

/** Run `read` in every cell at once and put the answers together, in the cells' order. */
export async function gather<T>(
  cells: readonly Cell[],
  read: (cell: Cell) => Promise<readonly T[]>,
): Promise<T[]> {
  return (await Promise.all(cells.map(read))).flat()
}

/** The first cell (in order) where `find` answers something, with that answer. */
export async function findInCells<T>(
  cells: readonly Cell[],
  find: (cell: Cell) => Promise<T | undefined>,
): Promise<{ cell: Cell; found: T } | undefined> {
  const answers = await Promise.all(cells.map(find))
  const i = answers.findIndex((a) => a !== undefined)
  return i < 0 ? undefined : { cell: cells[i]!, found: answers[i]! }
}
