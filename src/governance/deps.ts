/** What the governance services need: the door to the database and who is asking. */
import type { Viewer } from '../auth/viewer.ts';
import { badInput } from '../domain/errors.ts';
import type { Executor } from '../neo4j/executor.ts';
import type { ReleaseTargetKind } from '../neo4j/queries/governance.ts';
import { checkSlug } from '../recording/models.ts';

export interface GovernanceDeps {
  readonly executor: Executor;
  readonly viewer: Viewer;
}

const TARGET_KINDS: readonly ReleaseTargetKind[] = ['ENVIRONMENT', 'ALIAS'];

/** A target kind and name: an environment or alias name, the slugs deployments and aliases use. */
export function checkTarget(at: string, targetKind: string, target: string): { targetKind: ReleaseTargetKind; target: string } {
  if (!(TARGET_KINDS as readonly string[]).includes(targetKind)) throw badInput(`${at}targetKind`, `${at}targetKind must be ENVIRONMENT or ALIAS`);
  const kind = targetKind as ReleaseTargetKind;
  return { targetKind: kind, target: checkSlug(`${at}target`, target, kind === 'ENVIRONMENT' ? 'environment name' : 'alias name') };
}
