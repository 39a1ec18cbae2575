/** node(id), nodes(ids) and LineageNode type resolution: one loader call per id, batched per label. */
import type { Resolvers } from '../../generated/graphql.ts';
import { lineageTypeOf, loadLineageNode } from '../../lineage/node.ts';
import { prefetchTraversals } from './lineage-node.ts';

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
