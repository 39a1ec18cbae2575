/** node(id), nodes(ids) and LineageNode type resolution: one loader call per id, batched per label. */
import type { Context } from '../context.ts';
import type { Resolvers } from '../generated/graphql.ts';
import type { LineageLabel, LineageNodeRow } from '../model.ts';
import { lineageTypeOf } from './lineage-node.ts';

const LOADER_BY_LABEL = {
  DatasetVersion: 'datasetVersion',
  Run: 'run',
  Checkpoint: 'checkpoint',
  ModelVersion: 'modelVersion',
  Deployment: 'deployment',
  Artifact: 'artifact',
} as const satisfies Record<LineageLabel, keyof Context['loaders']>;

/** The lineage node with this id, or null when it does not exist or is not a lineage node. */
export async function loadLineageNode(ctx: Context, id: string): Promise<LineageNodeRow | null> {
  const label = lineageTypeOf({ id });
  if (!label) return null;
  const row = await ctx.loaders[LOADER_BY_LABEL[label]].load(id);
  return row ? ({ ...row, nodeLabel: label } as LineageNodeRow) : null;
}

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, { id }, ctx) => loadLineageNode(ctx, id),
    nodes: (_parent, { ids }, ctx) => Promise.all(ids.map((id) => loadLineageNode(ctx, id))),
  },
  LineageNode: {
    __resolveType: (row) => lineageTypeOf(row),
  },
};
