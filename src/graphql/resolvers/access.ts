/** API tokens and the audit log (docs/security.md). */
import { requireRole } from '../../auth/authorize.ts';
import { badInput, notFound } from '../../domain/errors.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { auditPage } from '../../neo4j/queries/tokens.ts';
import { parseJson } from '../../domain/json.ts';
import { createApiToken, mintedBy, revokeApiToken } from '../../recording/tokens.ts';
import { loadLineageNode } from '../../lineage/node.ts';
import { userRef } from './lineage-node.ts';

const MAX_AUDIT_PAGE = 500;

function decodeAuditCursor(after: string | null | undefined): { at: string; id: string } | null {
  if (after == null) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // fall through
  }
  throw badInput('after', 'after is not a cursor of this list');
}

export const accessResolvers: Resolvers = {
  Query: {
    async auditLog(_parent, { project, first, after }, ctx) {
      requireRole(ctx.viewer, project, 'ADMIN', () => notFound('project', project, 'project'));
      if (!Number.isInteger(first) || first < 0 || first > MAX_AUDIT_PAGE) throw badInput('first', `first must be between 0 and ${MAX_AUDIT_PAGE}`);
      const rows = await ctx.executor.read('auditLog', (tx) => auditPage(tx, { projectId: project, limit: first + 1, after: decodeAuditCursor(after) }));
      const nodes = rows.slice(0, first);
      const last = nodes[nodes.length - 1];
      return {
        nodes,
        pageInfo: {
          hasNextPage: rows.length > first,
          endCursor: last ? Buffer.from(JSON.stringify([last.at.toISOString(), last.id])).toString('base64url') : null,
        },
      };
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
