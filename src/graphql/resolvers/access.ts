/** API tokens and the audit log (docs/security.md). */
import { requireRole } from '../../auth/authorize.ts';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../domain/connection.ts';
import { notFound } from '../../domain/errors.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { auditPage } from '../../neo4j/queries/tokens.ts';
import { parseJson } from '../../domain/json.ts';
import { createApiToken, mintedBy, revokeApiToken } from '../../recording/tokens.ts';
import { loadLineageNode } from '../../lineage/node.ts';
import { userRef } from './lineage-node.ts';

export const accessResolvers: Resolvers = {
  Query: {
    async auditLog(_parent, { project, first, after }, ctx) {
      requireRole(ctx.viewer, project, 'ADMIN', () => notFound('project', project, 'project'));
      const limit = checkFirst(first) + 1;
      // An entry's position in the newest-first log: its time (ISO-8601) and id.
      const cursor = decodeCursor(after, 'auditLog', ['string', 'string'], ([at]) => !Number.isNaN(Date.parse(at)));
      const rows = await ctx.executor.read('auditLog', (tx) => auditPage(tx, { projectId: project, limit, after: cursor && { at: cursor[0], id: cursor[1] } }));
      return connection(rows, first, (entry) => encodeCursor('auditLog', [entry.at.toISOString(), entry.id]));
    },
  },
  Mutation: {
    createApiToken: (_parent, { input }, ctx) => createApiToken(ctx, input),
    revokeApiToken: (_parent, { id }, ctx) => revokeApiToken(ctx, id),
  },
  ApiToken: {
    project: async (row, _args, ctx) => (await ctx.loaders.project.load(row.projectId))!,
    createdBy: (row) => userRef(row.createdBy),
    minted: (row, _args, ctx) => mintedBy(ctx, row),
  },
  AuditEntry: {
    actor: (row) => userRef(row.actor),
    subject: (row, _args, ctx) => (row.subjectId ? loadLineageNode(ctx, row.subjectId) : null),
    details: (row) => parseJson(row.detailsJson),
  },
};
