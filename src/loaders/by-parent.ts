/** Shared loader shapes; a module of its own so aggregate loaders can use it without a cycle. */
import DataLoader from 'dataloader';
import type { Executor, Tx } from '../neo4j/executor.ts';

/**
 * A loader of lists keyed by a parent id (e.g. the checkpoints of each run): `fetch` returns
 * (parentId, row) pairs for all parents in one query; parents with none get [].
 */
export function byParent<T>(
  executor: Executor,
  unit: string,
  fetch: (tx: Tx, parentIds: readonly string[]) => Promise<Array<[string, T]>>,
): DataLoader<string, T[]> {
  return new DataLoader(async (parentIds) => {
    const pairs = await executor.readOne(unit, (tx) => fetch(tx, parentIds));
    const grouped = new Map<string, T[]>(parentIds.map((id) => [id, []]));
    for (const [parentId, row] of pairs) grouped.get(parentId)?.push(row);
    return parentIds.map((id) => grouped.get(id)!);
  });
}
