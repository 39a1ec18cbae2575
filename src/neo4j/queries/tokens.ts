/** API tokens: created and revoked by project admins, looked up by the hash of the secret. */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import type { ApiTokenRow, AuditEntryRow, Role } from '../../domain/rows.ts';

export async function createToken(
  tx: Tx,
  input: { id: string; hash: string; projectId: string; name: string; role: Role; createdBy: string | null; expiresAt: string | null },
): Promise<ApiTokenRow> {
  const [record] = await tx.run(
    `CREATE (t:ApiToken {
       id: $id, hash: $hash, projectId: $projectId, name: $name, role: $role, createdAt: datetime(), createdBy: $createdBy,
       expiresAt: CASE WHEN $expiresAt IS NULL THEN null ELSE datetime($expiresAt) END, revokedAt: null
     })
     RETURN t`,
    input,
  );
  return tokenRow(record!.get('t') as Node);
}

/** The token with this hash, whatever its state (the caller checks expiry and revocation). */
export async function tokenByHash(tx: Tx, hash: string): Promise<ApiTokenRow | null> {
  const [record] = await tx.run('MATCH (t:ApiToken {hash: $hash}) RETURN t', { hash });
  return record ? tokenRow(record.get('t') as Node) : null;
}

export async function tokenById(tx: Tx, id: string): Promise<ApiTokenRow | null> {
  const [record] = await tx.run('MATCH (t:ApiToken {id: $id}) RETURN t', { id });
  return record ? tokenRow(record.get('t') as Node) : null;
}

/** The unrevoked tokens created with the credential whose subject is `createdBy`, oldest first. */
export async function tokensMintedBy(tx: Tx, createdBy: string): Promise<ApiTokenRow[]> {
  const records = await tx.run('MATCH (t:ApiToken {createdBy: $createdBy}) WHERE t.revokedAt IS NULL RETURN t ORDER BY t.createdAt, t.id', { createdBy });
  return records.map((r) => tokenRow(r.get('t') as Node));
}

/** Marks the token revoked (once: a second revocation keeps the first instant). */
export async function revokeToken(tx: Tx, id: string): Promise<ApiTokenRow> {
  const [record] = await tx.run('MATCH (t:ApiToken {id: $id}) SET t.revokedAt = coalesce(t.revokedAt, datetime()) RETURN t', { id });
  return tokenRow(record!.get('t') as Node);
}

function tokenRow(node: Node): ApiTokenRow {
  const { hash: _hash, ...row } = nodeRow<ApiTokenRow & { hash: string }>(node);
  return { ...row, expiresAt: row.expiresAt ?? null, revokedAt: row.revokedAt ?? null };
}

/** A project's audit trail, newest first, strictly after the `after` position (at, id) of the previous page. */
export async function auditPage(
  tx: Tx,
  input: { projectId: string; limit: number; after: { at: string; id: string } | null },
): Promise<AuditEntryRow[]> {
  const records = await tx.run(
    `MATCH (a:AuditEntry {projectId: $projectId})
     WHERE $after IS NULL OR a.at < datetime($after.at) OR (a.at = datetime($after.at) AND a.id < $after.id)
     RETURN a ORDER BY a.at DESC, a.id DESC LIMIT toInteger($limit)`,
    input,
  );
  return records.map((r) => {
    const row = nodeRow<AuditEntryRow>(r.get('a') as Node);
    return { ...row, subjectId: row.subjectId ?? null, actor: row.actor ?? null };
  });
}
