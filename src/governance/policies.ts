/**
 * Release policies: set (upsert on project, target kind, target and model), delete, list.
 * ADMIN only. Writes take the release gate lock, so a release evaluated concurrently sees the
 * policy either wholly before or wholly after the change (src/governance/gate.ts).
 */
import { requireRole } from '../auth/authorize.ts';
import { badInput, notFound } from '../domain/errors.ts';
import { appendAudit } from '../events/outbox.ts';
import { newId } from '../domain/ids.ts';
import type { ModelVersionStatus } from '../domain/rows.ts';
import { deletePolicy, lockGate, policiesOfProjects, policyById, upsertPolicy, type Comparison, type MetricRequirementRow, type ReleasePolicyRow } from '../neo4j/queries/governance.ts';
import { modelsByName } from '../neo4j/queries/models.ts';
import { requireProject } from '../recording/refs.ts';
import { checkName } from '../recording/validate.ts';
import { checkTarget, type GovernanceDeps } from './deps.ts';

export const MAX_METRIC_REQUIREMENTS = 50;
export const MAX_REQUIRED_APPROVALS = 100;

const COMPARISONS: readonly Comparison[] = ['LT', 'LTE', 'GT', 'GTE'];
const STATUSES: readonly ModelVersionStatus[] = ['REGISTERED', 'VALIDATED', 'REJECTED', 'ARCHIVED'];

export interface SetReleasePolicyInput {
  readonly project: string;
  readonly targetKind: string;
  readonly target: string;
  readonly model?: string | null | undefined;
  readonly requiredStatus?: string | null | undefined;
  readonly metrics?: readonly { readonly key: string; readonly comparison: string; readonly value: number }[] | null | undefined;
  readonly requiredApprovals?: number | null | undefined;
  readonly requireCleanLineage?: boolean | null | undefined;
}

function checkMetrics(input: SetReleasePolicyInput['metrics']): MetricRequirementRow[] {
  const metrics = input ?? [];
  if (metrics.length > MAX_METRIC_REQUIREMENTS) throw badInput('input.metrics', `input.metrics takes at most ${MAX_METRIC_REQUIREMENTS} requirements`);
  return metrics.map((m, i) => {
    const at = `input.metrics[${i}]`;
    if (!(COMPARISONS as readonly string[]).includes(m.comparison)) throw badInput(`${at}.comparison`, `${at}.comparison must be one of ${COMPARISONS.join(', ')}`);
    if (!Number.isFinite(m.value)) throw badInput(`${at}.value`, `${at}.value must be a finite number`);
    return { key: checkName(`${at}.key`, m.key), comparison: m.comparison as Comparison, value: m.value };
  });
}

function checkApprovals(value: number | null | undefined): number {
  const n = value ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > MAX_REQUIRED_APPROVALS) {
    throw badInput('input.requiredApprovals', `input.requiredApprovals must be an integer from 0 to ${MAX_REQUIRED_APPROVALS}`);
  }
  return n;
}

function checkStatus(value: string | null | undefined): ModelVersionStatus | null {
  if (value == null) return null;
  if (!(STATUSES as readonly string[]).includes(value)) throw badInput('input.requiredStatus', `input.requiredStatus must be one of ${STATUSES.join(', ')}`);
  return value as ModelVersionStatus;
}

/**
 * Creates the policy, or replaces every rule of the one with the same project, target kind,
 * target and model (absent rules reset to none); its id and creation stay. NOT_FOUND when the
 * project or the named model does not exist in it.
 */
export async function setReleasePolicy(deps: GovernanceDeps, input: SetReleasePolicyInput): Promise<ReleasePolicyRow> {
  const { targetKind, target } = checkTarget('input.', input.targetKind, input.target);
  const modelName = input.model == null ? null : checkName('input.model', input.model);
  const requiredStatus = checkStatus(input.requiredStatus);
  const metrics = checkMetrics(input.metrics);
  const requiredApprovals = checkApprovals(input.requiredApprovals);
  const requireCleanLineage = input.requireCleanLineage ?? false;
  const actor = deps.viewer.subject;
  return deps.executor.write('setReleasePolicy', async (tx) => {
    await requireProject(tx, deps.viewer, input.project, 'ADMIN');
    await lockGate(tx, input.project);
    let modelId: string | null = null;
    if (modelName !== null) {
      const [model] = await modelsByName(tx, [{ projectId: input.project, name: modelName }]);
      if (!model) throw notFound('model', modelName, 'input.model');
      modelId = model.id;
    }
    const { policy, created } = await upsertPolicy(tx, {
      id: newId('ReleasePolicy'),
      projectId: input.project,
      key: `${targetKind}:${target}:${modelId ?? '*'}`,
      targetKind,
      target,
      modelId,
      requiredStatus,
      metricsJson: JSON.stringify(metrics),
      requiredApprovals,
      requireCleanLineage,
      actor,
    });
    await appendAudit(tx, {
      projectId: input.project,
      actor,
      subjectId: null,
      details: { policy: policy.id, created, targetKind, target, model: modelName, requiredStatus, metrics, requiredApprovals, requireCleanLineage },
    });
    return policy;
  });
}

/** Deletes the policy; NOT_FOUND when it does not exist or is in a project the viewer cannot read. */
export async function deleteReleasePolicy(deps: GovernanceDeps, id: string): Promise<boolean> {
  return deps.executor.write('deleteReleasePolicy', async (tx) => {
    const found = await policyById(tx, id);
    const hidden = () => notFound('release policy', id, 'id');
    if (!found) throw hidden();
    requireRole(deps.viewer, found.projectId, 'ADMIN', hidden);
    await lockGate(tx, found.projectId);
    await deletePolicy(tx, id);
    await appendAudit(tx, {
      projectId: found.projectId,
      actor: deps.viewer.subject,
      subjectId: null,
      details: { policy: id, deleted: true, targetKind: found.targetKind, target: found.target, modelId: found.modelId ?? null },
    });
    return true;
  });
}

/** The project's policies; NOT_FOUND when the viewer cannot read the project. */
export async function releasePolicies(deps: GovernanceDeps, projectId: string): Promise<ReleasePolicyRow[]> {
  requireRole(deps.viewer, projectId, 'VIEWER', () => notFound('project', projectId, 'project'));
  const pairs = await deps.executor.readOne('releasePolicies', (tx) => policiesOfProjects(tx, [projectId]));
  return pairs.map(([, row]) => row);
}
