/**
 * recordServingWindow: what a deployment saw in one time window (aggregates and input
 * distributions), and its skew against the deployment's baseline, in one write transaction.
 *
 * Idempotent on (deployment, start, end): the same window again (same metrics and features, in
 * any order) returns the stored one and writes nothing; different contents for a recorded key
 * are CONFLICT (a window, like a version, is immutable). The skew is computed once, when the
 * window is recorded, with the baseline and thresholds of that moment, and stored with it. A
 * window whose skew exceeds a threshold appends one SERVING_SKEW_DETECTED event (subject: the
 * deployment) in the same transaction. WRITER in the deployment's project.
 *
 * Statements: one, when this instance holds the deployment's target (project, model name,
 * thresholds, baseline) from an earlier window (src/monitoring/targets.ts): the skew is computed
 * from it, and one write statement resolves the target again and creates the window (with its
 * event and audit entry when the skew exceeds a threshold) only if the target is unchanged.
 * Otherwise the statement writes nothing and returns the target it found, and the window is
 * computed and sent again with that one. Without a held target, a read first (the deployment, the
 * key's window, the thresholds and the baseline's profile digest). The profile itself is read
 * once per digest and then held (src/monitoring/profiles.ts). The window's key constraint makes
 * a concurrent first record of the same key fail; the whole unit then runs again and finds the
 * winner's window (the same contents: returned; others: CONFLICT). The skew stored is always
 * the one against the baseline and thresholds of the transaction that wrote the window.
 */
import { requireRole } from '../auth/authorize.ts';
import { badInput, conflict, notFound } from '../domain/errors.ts';
import { appendAudit, type NewEvent } from '../events/outbox.ts';
import { recordWindowFor, upsertThreshold, windowTarget, type ServingWindowRow, type WindowTarget, type WindowWrite } from '../neo4j/queries/monitoring.ts';
import { requireProject } from '../recording/refs.ts';
import { retryOnCreateRace } from '../recording/retry.ts';
import { checkName } from '../recording/validate.ts';
import { profileFeatures, sha256, type MonitoringDeps } from './profiles.ts';
import type { ServingTarget } from './targets.ts';
import { sameKind, skewReport, type FeatureProfile, type SkewReport } from './skew.ts';
import { checkFeatures, checkInstant, checkMetrics, type FeatureProfileInput } from './validate.ts';

export interface RecordServingWindowInput {
  readonly deployment: string;
  readonly start: Date | string;
  readonly end: Date | string;
  readonly metrics?: readonly { readonly key: string; readonly value: number }[] | null | undefined;
  readonly features?: readonly FeatureProfileInput[] | null | undefined;
}

export async function recordServingWindow(deps: MonitoringDeps, input: RecordServingWindowInput): Promise<ServingWindowRow> {
  const startMs = checkInstant('input.start', input.start);
  const endMs = checkInstant('input.end', input.end);
  if (endMs <= startMs) throw badInput('input.end', 'input.end must be after input.start');
  const metrics = checkMetrics('input.metrics', input.metrics ?? []);
  const served = checkFeatures('input.features', input.features ?? []);
  const metricsJson = JSON.stringify(metrics);
  const featuresJson = JSON.stringify(served);
  const digest = sha256(`${metricsJson}\n${featuresJson}`);
  const actor = deps.viewer.subject;

  const key = { deploymentId: input.deployment, startMs, endMs };
  const hidden = () => notFound('deployment', input.deployment, 'input.deployment');

  /** The window's row and events as computed against `target`. */
  const prepare = async (target: ServingTarget) => {
    const { baseline } = target;
    let skew: SkewReport | null = null;
    if (baseline) {
      const baselineFeatures = await profileFeatures(deps.executor, baseline);
      checkKinds(served, input.features ?? [], baselineFeatures);
      skew = skewReport({ id: baseline.id, features: baselineFeatures }, served, target.rules, target.modelName);
    }
    const events: NewEvent[] = skew?.exceeded
      ? [
          {
            kind: 'SERVING_SKEW_DETECTED',
            projectId: target.projectId,
            subjectId: input.deployment,
            name: target.modelName,
            actor,
            audit: { baseline: skew.baselineId, start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), features: skew.features.filter((f) => f.exceeded).map((f) => f.feature) },
          },
        ]
      : [];
    const row = { ...key, projectId: target.projectId, digest, metricsJson, featuresJson, skewJson: skew ? JSON.stringify(skew) : null };
    return { row, events };
  };

  return retryOnCreateRace(async () => {
    let target: WindowTarget | ServingTarget | null =
      deps.servingTargets?.get(input.deployment) ?? (await deps.executor.readOne('recordServingWindow', (tx) => windowTarget(tx, key)));
    // Each pass sends the window computed from the target the previous statement found; a pass
    // that finds yet another target (a threshold, profile or lineage change in between) is rare.
    for (let pass = 1; ; pass++) {
      if (!target) {
        deps.servingTargets?.delete(input.deployment);
        throw hidden();
      }
      requireRole(deps.viewer, target.projectId, 'WRITER', hidden);
      const existing = 'existing' in target ? target.existing : null;
      if (existing) {
        if (existing.digest === digest) return existing;
        throw conflict('a window of this deployment with this start and end was recorded with other contents; windows are immutable', { field: 'input' });
      }
      if (pass > MAX_PASSES) throw new Error(`recordServingWindow: the target of deployment ${input.deployment} changed during ${MAX_PASSES} writes in a row`);
      const { row, events } = await prepare(target);
      const assumed: ServingTarget = target;
      const written: WindowWrite | null = await deps.executor.writeOne('recordServingWindow', (tx) => recordWindowFor(tx, assumed, row, events));
      if (written) {
        const { projectId, modelName, rules, baseline } = written.target;
        deps.servingTargets?.set(input.deployment, { projectId, modelName, rules, baseline });
        if (written.created) return written.created;
      }
      target = written?.target ?? null;
    }
  });
}

/** Writes a window may need when its deployment's target keeps changing under it. */
const MAX_PASSES = 5;

/**
 * A served feature the baseline profiles as the other kind (numeric against categorical) has
 * no distance: BAD_USER_INPUT at the served feature's path, before anything is written.
 */
function checkKinds(served: readonly FeatureProfile[], sent: readonly FeatureProfileInput[], baseline: readonly FeatureProfile[]): void {
  const byName = new Map(baseline.map((f) => [f.name, f]));
  for (const feature of served) {
    const base = byName.get(feature.name);
    if (!base || sameKind(base, feature)) continue;
    const index = sent.findIndex((f) => f.name.trim() === feature.name);
    const kind = (f: FeatureProfile) => (f.histogram ? 'numeric (a histogram)' : 'categorical (categories)');
    throw badInput(`input.features[${index}]`, `input.features[${index}]: '${feature.name}' is ${kind(feature)} but the baseline profiles it as ${kind(base)}`);
  }
}

export interface SetSkewThresholdInput {
  readonly project: string;
  readonly model?: string | null | undefined;
  readonly feature?: string | null | undefined;
  readonly threshold: number;
}

/**
 * Sets the threshold of a project, optionally narrowed to a model name and/or a feature name
 * (upsert on that triple). A distance above it marks the feature exceeded. WRITER.
 */
export async function setSkewThreshold(deps: MonitoringDeps, input: SetSkewThresholdInput): Promise<boolean> {
  const model = input.model == null ? '' : checkName('input.model', input.model);
  const feature = input.feature == null ? '' : checkName('input.feature', input.feature);
  if (!Number.isFinite(input.threshold) || input.threshold < 0 || input.threshold > 1) {
    throw badInput('input.threshold', 'input.threshold must be between 0 and 1 (distances are)');
  }
  const actor = deps.viewer.subject;
  await retryOnCreateRace(() =>
    deps.executor.write('setSkewThreshold', async (tx) => {
      await requireProject(tx, deps.viewer, input.project, 'WRITER');
      await Promise.all([
        upsertThreshold(tx, { projectId: input.project, model, feature, threshold: input.threshold, actor }),
        appendAudit(tx, { projectId: input.project, actor, subjectId: null, details: { model: model || null, feature: feature || null, threshold: input.threshold } }),
      ]);
    }),
  );
  return true;
}
