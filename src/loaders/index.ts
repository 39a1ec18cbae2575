/**
 * DataLoaders, created per request: each batches the keys asked for in one tick into one
 * Cypher query, returns results aligned with the keys, and null for a missing key.
 */
import DataLoader from 'dataloader';
import type { Executor, Tx } from '../neo4j/executor.ts';
import { alignById } from '../neo4j/values.ts';
import { projectsByIds } from '../neo4j/queries/projects.ts';
import type { ProjectRow } from '../model.ts';

export interface Loaders {
  readonly project: DataLoader<string, ProjectRow | null>;
}

export function createLoaders(executor: Executor): Loaders {
  return {
    project: byId(executor, 'projects.byIds', projectsByIds),
  };
}

function byId<T extends { id: string }>(
  executor: Executor,
  unit: string,
  fetch: (tx: Tx, ids: readonly string[]) => Promise<T[]>,
): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => alignById(ids, await executor.read(unit, (tx) => fetch(tx, ids))), {
    maxBatchSize: 5_000,
  });
}

/** The rows that exist for `ids`, in order; a loader failure propagates. */
export async function loadExisting<T>(loader: DataLoader<string, T | null>, ids: readonly string[]): Promise<T[]> {
  const rows = await loader.loadMany(ids);
  return rows.filter((row): row is T => {
    if (row instanceof Error) throw row;
    return row !== null;
  });
}
