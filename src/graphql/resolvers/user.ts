/**
 * User, owned by the company graph (the accounts subgraph): Pedigree knows a user only by id,
 * the subject recorded as `createdBy`/`actor`, and adds the lineage that user recorded.
 */
import { badInput } from '../../domain/errors.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { userRef } from './lineage-node.ts';

const MAX_PAGE = 500;

function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput('first', `first must be between 0 and ${MAX_PAGE}`);
  return first;
}

export const userResolvers: Resolvers = {
  User: {
    // Any id names a user: the accounts subgraph owns them, Pedigree has nothing to look up.
    __resolveReference: (reference) => (typeof reference.id === 'string' ? userRef(reference.id) : null),
    runs: (user, { first }, ctx) => ctx.loaders.userRuns.load({ userId: user.id, first: checkFirst(first) }),
    modelVersions: (user, { first }, ctx) => ctx.loaders.userModelVersions.load({ userId: user.id, first: checkFirst(first) }),
  },
};
