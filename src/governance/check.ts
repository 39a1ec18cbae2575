/** releaseCheck: the release gate's evaluation as a dry run, read-only (src/governance/gate.ts). */
import { requireRole } from '../auth/authorize.ts';
import { notFound } from '../domain/errors.ts';
import { versionById } from '../neo4j/queries/models.ts';
import { checkTarget, type GovernanceDeps } from './deps.ts';
import { checkRelease } from './gate.ts';
import type { ReleaseFailure } from './rules.ts';

export async function releaseCheck(deps: GovernanceDeps, input: { version: string; targetKind: string; target: string }): Promise<ReleaseFailure[]> {
  const { targetKind, target } = checkTarget('', input.targetKind, input.target);
  return deps.executor.read('releaseCheck', async (tx) => {
    const version = await versionById(tx, input.version);
    const hidden = () => notFound('model version', input.version, 'version');
    if (!version) throw hidden();
    requireRole(deps.viewer, version.projectId, 'VIEWER', hidden);
    return checkRelease(tx, { version, targetKind, target });
  });
}
