/** Generic reads by id for every label. Labels come from the allow-list below, never from input. */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import { labelOf } from '../../ids.ts';

export const READABLE_LABELS = [
  'Project',
  'Dataset',
  'DatasetVersion',
  'Experiment',
  'Run',
  'Checkpoint',
  'Artifact',
  'Model',
  'ModelVersion',
  'Deployment',
] as const;
export type ReadableLabel = (typeof READABLE_LABELS)[number];

/** Nodes of `label` with these ids (any order; missing ids are simply absent). */
export async function nodesByIds<T>(tx: Tx, label: ReadableLabel, ids: readonly string[]): Promise<T[]> {
  if (!READABLE_LABELS.includes(label)) throw new Error(`label ${label} is not readable`);
  const records = await tx.run(`MATCH (n:${label}) WHERE n.id IN $ids RETURN n`, { ids });
  return records.map((r) => nodeRow<T>(r.get('n') as Node));
}

/**
 * The label and project of each id that exists, for reference checks inside a write. The id's
 * prefix names its label (src/ids.ts), so each lookup uses that label's unique index; ids
 * with an unknown prefix are simply absent from the result.
 */
export async function nodeHeaders(tx: Tx, ids: readonly string[]): Promise<Map<string, { label: ReadableLabel; projectId: string }>> {
  const byLabel = new Map<ReadableLabel, string[]>();
  for (const id of ids) {
    const label = labelOf(id);
    if (label && (READABLE_LABELS as readonly string[]).includes(label)) {
      byLabel.set(label as ReadableLabel, [...(byLabel.get(label as ReadableLabel) ?? []), id]);
    }
  }
  const headers = new Map<string, { label: ReadableLabel; projectId: string }>();
  if (byLabel.size === 0) return headers;
  const branches = [...byLabel.keys()].map(
    (label) => `UNWIND $ids.${label} AS id MATCH (n:${label} {id: id}) RETURN n.id AS id, '${label}' AS label, coalesce(n.projectId, n.id) AS projectId`,
  );
  const records = await tx.run(branches.join(' UNION ALL '), { ids: Object.fromEntries(byLabel) });
  for (const r of records) headers.set(r.get('id') as string, { label: r.get('label') as ReadableLabel, projectId: r.get('projectId') as string });
  return headers;
}
