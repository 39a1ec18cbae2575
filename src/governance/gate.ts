/**
 * The release gate: whether a model version may go into an environment or an alias now.
 *
 * `enforceRelease` runs inside the write unit of the deploy, rollback or alias move it guards,
 * after that unit took the model's lock and read the version (so its status is current). It
 * takes the project's release gate lock before reading the policies, approvals and quarantines,
 * and the writes of those take the same lock (src/governance/*.ts): whichever commits first is
 * seen by the other, so no concurrent policy, approval or quarantine lets through a release the
 * rules forbid. Lock order is model, then gate; the governance writes take only the gate lock.
 *
 * `checkRelease` is the same evaluation in a read transaction, without the lock (releaseCheck).
 */
import { policyViolation } from '../domain/errors.ts';
import type { ModelVersionRow } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import { lockGateWithPolicies, matchingPolicies, releaseFacts, type ReleaseFacts, type ReleasePolicyRow, type ReleaseTargetKind } from '../neo4j/queries/governance.ts';
import { evaluate, needsFacts, needsLineage, type ReleaseFailure } from './rules.ts';

export interface ReleaseRequest {
  readonly version: ModelVersionRow;
  readonly targetKind: ReleaseTargetKind;
  readonly target: string;
}

const NO_FACTS: ReleaseFacts = { runMetricsJson: null, approvers: [], quarantined: [] };

async function failuresOf(tx: Tx, request: ReleaseRequest, policies: readonly ReleasePolicyRow[]): Promise<ReleaseFailure[]> {
  if (policies.length === 0) return [];
  const facts = needsFacts(policies)
    ? await releaseFacts(tx, { versionId: request.version.id, targetKind: request.targetKind, target: request.target, lineage: needsLineage(policies) })
    : NO_FACTS;
  return evaluate(policies, request.version, facts);
}

function target(request: Pick<ReleaseRequest, 'version'>, targetKind: ReleaseTargetKind, target: string) {
  return { projectId: request.version.projectId, modelId: request.version.modelId, targetKind, target };
}

/**
 * Takes the gate lock and throws POLICY_VIOLATION (extensions.failures: rule, message, policy,
 * quarantined) when a rule fails; the caller's unit then rolls back. `what` names the version
 * in the message, e.g. 'churn@3'.
 */
export async function enforceRelease(tx: Tx, request: ReleaseRequest, what: string): Promise<void> {
  const policies = await lockGateWithPolicies(tx, target(request, request.targetKind, request.target));
  const failures = await failuresOf(tx, request, policies);
  if (failures.length === 0) return;
  const into = request.targetKind === 'ENVIRONMENT' ? `deployed to '${request.target}'` : `given the alias '${request.target}'`;
  throw policyViolation(
    `model version ${what} may not be ${into}: ${failures.map((f) => f.rule).join(', ')} ${failures.length === 1 ? 'fails' : 'fail'}`,
    failures.map((f) => ({ rule: f.rule, message: f.message, policy: f.policy.id, quarantined: f.quarantined })),
  );
}

/** The same evaluation, read-only: every failing rule, empty when the release would be allowed now. */
export async function checkRelease(tx: Tx, request: ReleaseRequest): Promise<ReleaseFailure[]> {
  const policies = await matchingPolicies(tx, target(request, request.targetKind, request.target));
  return failuresOf(tx, request, policies);
}
