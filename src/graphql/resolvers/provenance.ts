/** Query.provenanceManifest and Query.lineageDiff (src/lineage/manifest.ts, src/lineage/diff.ts). */
import { lineageDiff } from '../../lineage/diff.ts';
import { provenanceManifest } from '../../lineage/manifest.ts';
import type { Resolvers } from '../../generated/graphql.ts';

export const provenanceResolvers: Resolvers = {
  Query: {
    provenanceManifest: (_parent, { of, maxDepth }, ctx) => provenanceManifest(ctx, of, maxDepth),
    lineageDiff: (_parent, { from, to }, ctx) => lineageDiff(ctx, from, to),
  },
};
