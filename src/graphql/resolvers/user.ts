/**
 * User, owned by the company graph (the accounts subgraph): Pedigree knows a user only by id,
 * the subject recorded as `createdBy`/`actor`, and adds the lineage that user recorded.
 */
import { checkFirst } from '../../domain/connection.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { userRef } from './lineage-node.ts';

export const userResolvers: Resolvers = {
  User: {
    // Any id names a user: the accounts subgraph owns them, Pedigree has nothing to look up.
    __resolveReference: (reference) => (typeof reference.id === 'string' ? userRef(reference.id) : null),
    runs: (user, { first }, ctx) => ctx.loaders.userRuns.load({ userId: user.id, first: checkFirst(first) }),
    modelVersions: (user, { first }, ctx) => ctx.loaders.userModelVersions.load({ userId: user.id, first: checkFirst(first) }),
  },
};
