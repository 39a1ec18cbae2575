/** Query.provenanceManifest and Query.lineageDiff (src/audit/manifest.ts, src/audit/lineage-diff.ts). */
import { lineageDiff } from '../audit/lineage-diff.ts';
import { provenanceManifest } from '../audit/manifest.ts';
import type { Resolvers } from '../generated/graphql.ts';

export const provenanceResolvers: Resolvers = {
  Query: {
    provenanceManifest: (_parent, { of, maxDepth }, ctx) => provenanceManifest(ctx, of, maxDepth),
    lineageDiff: (_parent, { from, to }, ctx) => lineageDiff(ctx, from, to),
  },
};
