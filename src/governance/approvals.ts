/**
 * Approvals of a model version for a release target. WRITER or ADMIN; the version's creator
 * cannot approve it (FORBIDDEN) and a user approves a version for a target once (CONFLICT).
 * Taken under the release gate lock, like every input of the release rules.
 */
import { requireRole } from '../auth/authorize.ts';
import { conflict, forbidden, notFound } from '../domain/errors.ts';
import { appendAudit } from '../events/outbox.ts';
import { createApproval, findApproval, lockGate, type ApprovalRow } from '../neo4j/queries/governance.ts';
import { versionById } from '../neo4j/queries/models.ts';
import { checkOptionalText } from '../recording/validate.ts';
import { checkTarget, type GovernanceDeps } from './deps.ts';

export interface ApproveModelVersionInput {
  readonly version: string;
  readonly targetKind: string;
  readonly target: string;
  readonly comment?: string | null | undefined;
}

export async function approveModelVersion(deps: GovernanceDeps, input: ApproveModelVersionInput): Promise<ApprovalRow> {
  const { targetKind, target } = checkTarget('input.', input.targetKind, input.target);
  const comment = checkOptionalText('input.comment', input.comment, 2_000);
  const actor = deps.viewer.subject;
  return deps.executor.write('approveModelVersion', async (tx) => {
    const version = await versionById(tx, input.version);
    const hidden = () => notFound('model version', input.version, 'input.version');
    if (!version) throw hidden();
    requireRole(deps.viewer, version.projectId, 'WRITER', hidden);
    if (version.createdBy === actor) throw forbidden("the version's creator cannot approve it");
    await lockGate(tx, version.projectId);
    const key = `${targetKind}:${target}:${actor}`;
    if (await findApproval(tx, version.id, key)) {
      throw conflict(`you already approved this version for ${targetKind.toLowerCase()} '${target}'`, { field: 'input.version' });
    }
    const approval = await createApproval(tx, { versionId: version.id, projectId: version.projectId, key, targetKind, target, by: actor, comment });
    await appendAudit(tx, { projectId: version.projectId, actor, subjectId: version.id, details: { approval: { targetKind, target, comment } } });
    return approval;
  });
}
