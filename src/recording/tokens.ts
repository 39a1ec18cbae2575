/** createApiToken and revokeApiToken: project ADMINs only; the secret is returned once, its hash stored. */
import { requireRole } from '../auth/authorize.ts';
import { newTokenSecret, tokenHash } from '../auth/authenticate.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { badInput, notFound } from '../domain/errors.ts';
import { appendAudit } from '../events/outbox.ts';
import type { CreateApiTokenInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import type { ApiTokenRow, Role } from '../domain/rows.ts';
import { createToken, revokeToken, tokenById, tokensMintedBy } from '../neo4j/queries/tokens.ts';
import { requireProject } from './refs.ts';
import { checkName } from './validate.ts';

/** Revoking a token also closes this gateway's WebSockets authenticated with it. */
type TokenDeps = ServiceDeps & { readonly closeSocketsOf: (tokenId: string) => void };

const ROLES: readonly Role[] = ['VIEWER', 'WRITER', 'ADMIN'];

export async function createApiToken(ctx: TokenDeps, input: CreateApiTokenInput): Promise<{ token: string; apiToken: ApiTokenRow }> {
  const name = checkName('input.name', input.name);
  if (!ROLES.includes(input.role)) throw badInput('input.role', 'input.role is not a role');
  let expiresAt: string | null = null;
  if (input.expiresAt != null) {
    const ms = Date.parse(input.expiresAt);
    if (Number.isNaN(ms) || ms <= Date.now()) throw badInput('input.expiresAt', 'input.expiresAt must be an instant in the future');
    expiresAt = new Date(ms).toISOString();
  }
  // A token never outlives the credential that creates it: it would survive its parent's expiry.
  const { credential } = ctx.viewer;
  const creatorExpiry = credential.kind === 'admin-token' ? null : credential.expiresAt;
  if (creatorExpiry !== null) {
    if (expiresAt === null) expiresAt = creatorExpiry.toISOString();
    else if (Date.parse(expiresAt) > creatorExpiry.getTime()) {
      throw badInput('input.expiresAt', `input.expiresAt must not be later than the expiry of the credential creating the token (${creatorExpiry.toISOString()})`);
    }
  }
  const token = newTokenSecret();
  const id = newId('ApiToken');
  const apiToken = await ctx.executor.write('createApiToken', async (tx) => {
    await requireProject(tx, ctx.viewer, input.project, 'ADMIN');
    const row = await createToken(tx, { id, hash: tokenHash(token), projectId: input.project, name, role: input.role, createdBy: ctx.viewer.subject, expiresAt });
    await appendAudit(tx, { projectId: input.project, actor: ctx.viewer.subject, subjectId: null, details: { token: id, name, role: input.role } });
    return row;
  });
  return { token, apiToken };
}

/** The unrevoked tokens the token created (ApiToken.minted). */
export async function mintedBy(ctx: TokenDeps, token: ApiTokenRow): Promise<ApiTokenRow[]> {
  return ctx.executor.readOne('apiToken.minted', (tx) => tokensMintedBy(tx, token.id));
}

export async function revokeApiToken(ctx: TokenDeps, id: string): Promise<ApiTokenRow> {
  const revoked = await ctx.executor.write('revokeApiToken', async (tx) => {
    const found = await tokenById(tx, id);
    const hidden = () => notFound('API token', id, 'id');
    if (!found) throw hidden();
    requireRole(ctx.viewer, found.projectId, 'ADMIN', hidden);
    if (found.revokedAt !== null) return found;
    const row = await revokeToken(tx, id);
    const minted = await tokensMintedBy(tx, id);
    await appendAudit(tx, { projectId: found.projectId, actor: ctx.viewer.subject, subjectId: null, details: { token: id, name: found.name, minted: minted.map((t) => t.id) } });
    return row;
  });
  ctx.closeSocketsOf(id);
  return revoked;
}
