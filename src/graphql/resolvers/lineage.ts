/** Traversal results (LineageGraph, LineageHit) and Query.lineagePath: hydration through the per-request loaders. */
import type { FieldNode } from 'graphql';
import type { Context } from '../../context.ts';
import { notFound } from '../../domain/errors.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import type { LineageNodeRow } from '../../domain/rows.ts';
import { findLineagePath, lineageEdges, type LineageHitRow } from '../../lineage/traversal.ts';
import { ID_ONLY_FIELDS, reachableCount } from './lineage-node.ts';
import { loadLineageNode } from '../../lineage/node.ts';
import { selectedFields } from './selection.ts';

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
    edges: async (graph, _args, ctx) => [...(await lineageEdges(ctx.executor, graph))],
    truncated: (graph) => graph.truncated,
    reachableCount: (graph, _args, ctx) => reachableCount(ctx, graph),
  },
  LineageHit: {
    // The row read with the hit (readable projects only); for a selection of id, kind and
    // __typename the id answers; otherwise the scoped loader.
    node: (hit, _args, ctx, info) => hit.row ?? (!hit.unreadable && idOnly(info.fieldNodes, info) ? idOnlyNode(hit) : loadHit(ctx, hit.id)),
    depth: (hit) => hit.depth,
  },
};

async function loadHit(ctx: Context, id: string): Promise<LineageNodeRow> {
  return (await loadLineageNode(ctx, id))!;
}

/** Per selection (graphql-js passes the same fieldNodes array for every item of a list). */
const idOnlySelections = new WeakMap<readonly FieldNode[], boolean>();

function idOnly(fieldNodes: readonly FieldNode[], info: Parameters<typeof selectedFields>[0]): boolean {
  let known = idOnlySelections.get(fieldNodes);
  if (known === undefined) {
    known = [...selectedFields(info, [])].every((field) => ID_ONLY_FIELDS.has(field));
    idOnlySelections.set(fieldNodes, known);
  }
  return known;
}

/**
 * A hit's node as far as id, kind and __typename go (all the selection asks): the interface
 * resolves its type and kind from the id's prefix. Never handed to other fields.
 */
function idOnlyNode(hit: LineageHitRow): LineageNodeRow {
  return { id: hit.id, projectId: hit.projectId } as LineageNodeRow;
}
