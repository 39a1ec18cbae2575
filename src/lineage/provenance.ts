/**
 * The complete upstream provenance of one node, loaded through the viewer's scoped loaders:
 * shared by provenance manifests and lineage diffs. A provenance answer must be whole, so
 * more upstream nodes than one traversal returns is LIMIT_EXCEEDED, never a silent cut.
 */
import { limitExceeded, notFound } from '../domain/errors.ts';
import type { LineageNodeRow, RunRow } from '../domain/rows.ts';
import { loadLineageNode, type LineageDeps } from './node.ts';
import { MAX_LIMIT, lineageEdges, traverseLineage, type LineageEdgeRow } from './traversal.ts';

export interface Provenance {
  readonly subject: LineageNodeRow;
  /** Every upstream node within maxDepth (not the subject), nearest first. */
  readonly upstream: readonly { readonly row: LineageNodeRow; readonly depth: number }[];
  /** Lineage edges among the subject and its upstream nodes. */
  readonly edges: readonly LineageEdgeRow[];
  /** False when maxDepth left ancestors out. */
  readonly complete: boolean;
}

/** The node `id` (NOT_FOUND under `field` when missing or unreadable) with its upstream provenance. */
export async function provenanceOf(ctx: LineageDeps, id: string, field: string, maxDepth: number): Promise<Provenance> {
  const subject = await loadLineageNode(ctx, id);
  if (!subject) throw notFound('lineage node', id, field);
  const graph = await traverseLineage(ctx.executor, subject, 'UPSTREAM', { maxDepth, limit: MAX_LIMIT }, { rows: false, edges: true });
  if (graph.truncated && graph.hits.length === MAX_LIMIT) {
    throw limitExceeded(`${id} has more than ${MAX_LIMIT} upstream nodes; a provenance answer must be complete`, { field, limit: MAX_LIMIT });
  }
  // Rows through the viewer's scoped loaders; an edge counts only when both its ends are readable.
  const rows = await Promise.all(graph.hits.map((hit) => loadLineageNode(ctx, hit.id)));
  const upstream = graph.hits.flatMap((hit, i) => (rows[i] ? [{ row: rows[i], depth: hit.depth }] : []));
  const readable = new Set([subject.id, ...upstream.map((entry) => entry.row.id)]);
  const edges = (await lineageEdges(ctx.executor, graph)).filter((edge) => readable.has(edge.from) && readable.has(edge.to));
  return { subject, upstream, edges, complete: !graph.truncated };
}

/** The rows of one label, by id. */
export function ofLabel<L extends LineageNodeRow['nodeLabel']>(
  rows: readonly LineageNodeRow[],
  label: L,
): Extract<LineageNodeRow, { nodeLabel: L }>[] {
  return rows
    .filter((row): row is Extract<LineageNodeRow, { nodeLabel: L }> => row.nodeLabel === label)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The run that produced a node: the node itself when it is a run, otherwise its nearest
 * upstream run (fewest hops; the smallest id among equally near ones); null when none.
 */
export function producingRun(provenance: Provenance): RunRow | null {
  if (provenance.subject.nodeLabel === 'Run') return provenance.subject;
  let best: { row: RunRow; depth: number } | null = null;
  for (const { row, depth } of provenance.upstream) {
    if (row.nodeLabel !== 'Run') continue;
    if (!best || depth < best.depth || (depth === best.depth && row.id < best.row.id)) best = { row, depth };
  }
  return best?.row ?? null;
}
