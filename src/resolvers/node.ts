/** node(id), nodes(ids) and LineageNode type resolution: one loader call per id, batched per label. */
import type { Context } from '../context.ts';
import type { Resolvers } from '../generated/graphql.ts';
import { LINEAGE_LOADER } from '../loaders/index.ts';
import type { LineageNodeRow } from '../domain/rows.ts';
import { lineageTypeOf, prefetchTraversals } from './lineage-node.ts';

/** The lineage node with this id, or null when it does not exist or is not a lineage node. */
export async function loadLineageNode(ctx: Context, id: string): Promise<LineageNodeRow | null> {
  const label = lineageTypeOf({ id });
  if (!label) return null;
  const row = await ctx.loaders[LINEAGE_LOADER[label]].load(id);
  return row ? ({ ...row, nodeLabel: label } as LineageNodeRow) : null;
}

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, { id }, ctx, info) => {
      prefetchTraversals(ctx, id, info);
      return loadLineageNode(ctx, id);
    },
    nodes: (_parent, { ids }, ctx) => Promise.all(ids.map((id) => loadLineageNode(ctx, id))),
  },
  LineageNode: {
    __resolveType: (row) => lineageTypeOf(row),
  },
};
