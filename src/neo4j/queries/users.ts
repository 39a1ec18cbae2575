/**
 * Lineage recorded by a user of the company graph. Pedigree stores no users: `createdBy` on a
 * node is the subject that created it, and these queries read nodes by that property.
 */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';

/** The labels a user's lineage list is read from (allow-list; never from input). */
export type CreatedByLabel = 'Run' | 'ModelVersion';

export interface CreatedByKey {
  readonly userId: string;
  /** Page size. */
  readonly first: number;
}

/**
 * For each key, at most `first` nodes of `label` created by that user, newest first (createdAt,
 * then id). `projectIds` limits them to those projects; null reads every project. One query per
 * distinct page size, since LIMIT takes no per-row value (in practice one query).
 */
export async function createdByPages<T>(
  tx: Tx,
  label: CreatedByLabel,
  keys: readonly CreatedByKey[],
  projectIds: readonly string[] | null,
): Promise<T[][]> {
  const pages: T[][] = keys.map(() => []);
  const groups = new Map<number, number[]>();
  keys.forEach((key, i) => groups.set(key.first, [...(groups.get(key.first) ?? []), i]));
  for (const [first, indexes] of groups) {
    if (first === 0) continue;
    const records = await tx.run(
      `UNWIND range(0, size($userIds) - 1) AS i
       CALL (i) {
         MATCH (n:${label}) WHERE n.createdBy = $userIds[i] AND ($projectIds IS NULL OR n.projectId IN $projectIds)
         WITH n ORDER BY n.createdAt DESC, n.id DESC LIMIT $limit
         RETURN collect(n) AS rows
       }
       RETURN i, rows`,
      { userIds: indexes.map((i) => keys[i]!.userId), projectIds, limit: neo4j.int(first) },
    );
    for (const record of records) {
      pages[indexes[record.get('i') as number]!] = (record.get('rows') as Node[]).map((n) => nodeRow<T>(n));
    }
  }
  return pages;
}
