/** Traversal results (LineageGraph, LineageHit) and Query.lineagePath: hydration through the per-request loaders. */
import type { Context } from '../context.ts';
import { notFound } from '../errors.ts';
import type { Resolvers } from '../generated/graphql.ts';
import type { LineageNodeRow } from '../model.ts';
import { findLineagePath } from '../traversal/lineage.ts';
import { loadLineageNode } from './node.ts';

async function existingNode(ctx: Context, id: string, field: string): Promise<LineageNodeRow> {
  const row = await loadLineageNode(ctx, id);
  if (!row) throw notFound('lineage node', id, field);
  return row;
}

export const lineageResolvers: Resolvers = {
  Query: {
    async lineagePath(_parent, { from, to, maxDepth }, ctx) {
      await Promise.all([existingNode(ctx, from, 'from'), existingNode(ctx, to, 'to')]);
      const ids = await findLineagePath(ctx.executor, from, to, maxDepth);
      if (!ids) return null;
      const rows = await Promise.all(ids.map((id) => loadLineageNode(ctx, id)));
      return rows.filter((row): row is LineageNodeRow => row !== null);
    },
  },
  LineageGraph: {
    root: (graph) => graph.root,
    nodes: (graph) => [...graph.hits],
    edges: (graph) => [...graph.edges],
    truncated: (graph) => graph.truncated,
  },
  LineageHit: {
    node: async (hit, _args, ctx) => (await loadLineageNode(ctx, hit.id))!,
    depth: (hit) => hit.depth,
  },
};
