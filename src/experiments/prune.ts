/**
 * pruneCheckpoints: the rules (keepLast, keepBest) pick which RETAINED checkpoints of a run to
 * drop; a dropped one from which a model version or deployment derives is kept and reported
 * as protected. Deleting only marks the node (`retention: DELETED`, `deletedAt`): lineage
 * stays for audits, the caller removes the files. Project ADMINs only, dry runs included.
 * A real prune writes in one transaction and, when it marked anything, one audit entry (no
 * event: no EventKind announces a deletion, and subscribers watch new versions, not clean-ups).
 */
import { requireRole } from '../auth/authorize.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { appendAudit } from '../events/outbox.ts';
import { badInput, notFound } from '../domain/errors.ts';
import type { PruneCheckpointsInput } from '../generated/graphql.ts';
import type { CheckpointRow } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import { checkpointsOfRuns, markCheckpointsDeleted, protectedCheckpointIds } from '../neo4j/queries/checkpoints.ts';
import { findRun, lockRun } from '../neo4j/queries/runs.ts';
import { checkName } from '../recording/validate.ts';

export interface PruneRules {
  readonly keepLast: number | null;
  readonly keepBest: { readonly metric: string; readonly mode: 'MAX' | 'MIN'; readonly count: number } | null;
}

export interface PruneOutcome {
  readonly deleted: CheckpointRow[];
  readonly protected: CheckpointRow[];
  readonly dryRun: boolean;
}

const MAX_KEEP = 1_000_000;

function checkKeep(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_KEEP) throw badInput(field, `${field} must be an integer between 0 and ${MAX_KEEP}`);
  return value;
}

export function checkPruneRules(input: PruneCheckpointsInput): PruneRules {
  const keepLast = input.keepLast === null || input.keepLast === undefined ? null : checkKeep('input.keepLast', input.keepLast);
  const best = input.keepBest ?? null;
  const keepBest = best && {
    metric: checkName('input.keepBest.metric', best.metric),
    mode: best.mode,
    count: checkKeep('input.keepBest.count', best.count),
  };
  if (keepLast === null && keepBest === null) throw badInput('input', 'give keepLast, keepBest or both: without a rule every checkpoint would be dropped');
  return { keepLast, keepBest };
}

/** The checkpoints the rules drop: neither among the last `keepLast` steps nor the best `count` by the metric. */
export function droppedByRules(checkpoints: readonly CheckpointRow[], rules: PruneRules): CheckpointRow[] {
  const newestFirst = [...checkpoints].sort((a, b) => b.step - a.step);
  const keep = new Set<string>();
  if (rules.keepLast !== null) newestFirst.slice(0, rules.keepLast).forEach((c) => keep.add(c.id));
  if (rules.keepBest !== null) {
    const { metric, mode, count } = rules.keepBest;
    const scored = newestFirst.flatMap((c) => {
      const value = (JSON.parse(c.metricsJson) as Record<string, unknown>)[metric];
      return typeof value === 'number' && Number.isFinite(value) ? [{ c, value }] : [];
    });
    // Stable sort: equal values keep the newer checkpoint first.
    scored.sort((a, b) => (mode === 'MAX' ? b.value - a.value : a.value - b.value));
    scored.slice(0, count).forEach(({ c }) => keep.add(c.id));
  }
  return checkpoints.filter((c) => !keep.has(c.id)).sort((a, b) => a.step - b.step);
}

export async function pruneCheckpoints(ctx: ServiceDeps, input: PruneCheckpointsInput): Promise<PruneOutcome> {
  const runId = checkName('input.run', input.run);
  const rules = checkPruneRules(input);
  const dryRun = input.dryRun ?? true;

  const unit = async (tx: Tx): Promise<PruneOutcome> => {
    // A real prune locks the run: it serializes with logCheckpoint and with another prune.
    const run = dryRun ? await findRun(tx, runId) : await lockRun(tx, runId);
    const hidden = () => notFound('run', runId, 'input.run');
    if (!run) throw hidden();
    requireRole(ctx.viewer, run.projectId, 'ADMIN', hidden);
    const retained = (await checkpointsOfRuns(tx, [runId])).map(([, c]) => c).filter((c) => c.retention !== 'DELETED');
    const dropped = droppedByRules(retained, rules);
    const protectedIds = await protectedCheckpointIds(tx, dropped.map((c) => c.id));
    const toDelete = dropped.filter((c) => !protectedIds.has(c.id));
    const kept = dropped.filter((c) => protectedIds.has(c.id));
    if (dryRun || toDelete.length === 0) return { deleted: toDelete, protected: kept, dryRun };
    const deleted = await markCheckpointsDeleted(tx, toDelete.map((c) => c.id));
    await appendAudit(tx, {
      projectId: run.projectId,
      actor: ctx.viewer.subject,
      subjectId: runId,
      details: { deleted: deleted.map((c) => c.id), protected: kept.map((c) => c.id), keepLast: rules.keepLast, keepBest: rules.keepBest },
    });
    return { deleted, protected: kept, dryRun };
  };
  return dryRun ? ctx.executor.read('pruneCheckpoints.dryRun', unit) : ctx.executor.write('pruneCheckpoints', unit);
}
