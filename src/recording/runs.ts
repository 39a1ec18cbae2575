/** startRun, logMetrics, finishRun: validation, then one write transaction each. */
import { projectsWithRole, requireRole } from '../auth/authorize.ts';
import { searchProperties } from '../domain/search-params.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { ServiceDeps } from '../auth/viewer.ts';
import { appendEvents, type NewEvent } from '../events/outbox.ts';
import { badInput, conflict, lineageCycle, notFound } from '../domain/errors.ts';
import type { FinishRunInput, LogMetricsInput, MetricInput, StartRunInput } from '../generated/graphql.ts';
import { newId } from '../domain/ids.ts';
import { LINEAGE_LABELS, type RunRow, type RunStatus, type RunType } from '../domain/rows.ts';
import type { Tx } from '../neo4j/executor.ts';
import { firstCycle } from '../neo4j/queries/lineage.ts';
import { appendMetrics, appendMetricsChecked, createRun, finishRunNode, lockRun, type SeriesAppend } from '../neo4j/queries/runs.ts';
import { runFingerprint } from '../domain/fingerprint.ts';
import { canonicalJson, checkJsonObject, checkOptionalJson, parseJson } from '../domain/json.ts';
import { gatedWrite } from './gated-write.ts';
import { projectAndRefChecks, requireRefs } from './refs.ts';
import { transition } from './run-state.ts';
import { checkName, checkOptionalText, MAX_NAME_LENGTH } from './validate.ts';

const RUN_TYPES = new Set(['DATA_PROCESSING', 'TRAINING', 'FINE_TUNING', 'EVALUATION', 'INFERENCE', 'PIPELINE', 'OTHER']);
export const MAX_METRIC_POINTS = 100_000;
const OUTPUT_LABELS = ['DatasetVersion', 'Artifact', 'Checkpoint', 'ModelVersion'] as const;

interface NodeRef {
  readonly id: string;
  readonly role?: string | null | undefined;
}

function checkRefs(field: string, refs: readonly NodeRef[] | null | undefined): { id: string; role: string | null }[] {
  const seen = new Set<string>();
  const result: { id: string; role: string | null }[] = [];
  (refs ?? []).forEach((ref, i) => {
    const id = checkName(`${field}[${i}].id`, ref.id);
    const role = checkOptionalText(`${field}[${i}].role`, ref.role, MAX_NAME_LENGTH);
    const key = `${id}\u0000${role ?? ''}`;
    if (!seen.has(key)) result.push({ id, role });
    seen.add(key);
  });
  return result;
}

/** Metric points grouped per key (in logged order), ready to append. */
export function checkMetrics(field: string, metrics: readonly MetricInput[]): SeriesAppend[] {
  if (metrics.length > MAX_METRIC_POINTS) throw badInput(field, `${field} must hold at most ${MAX_METRIC_POINTS} points per call`);
  const byKey = new Map<string, { steps: number[]; values: number[]; timestamps: (string | null)[] }>();
  metrics.forEach((m, i) => {
    const key = checkName(`${field}[${i}].key`, m.key);
    if (!Number.isFinite(m.value)) throw badInput(`${field}[${i}].value`, `${field}[${i}].value must be a finite number`);
    const step = m.step ?? null;
    if (step !== null && (!Number.isSafeInteger(step) || step < 0)) {
      throw badInput(`${field}[${i}].step`, `${field}[${i}].step must be an integer >= 0`);
    }
    let timestamp: string | null = null;
    if (m.timestamp !== null && m.timestamp !== undefined) {
      const ms = Date.parse(m.timestamp);
      if (Number.isNaN(ms)) throw badInput(`${field}[${i}].timestamp`, `${field}[${i}].timestamp must be an ISO-8601 instant`);
      timestamp = new Date(ms).toISOString();
    }
    let series = byKey.get(key);
    if (!series) byKey.set(key, (series = { steps: [], values: [], timestamps: [] }));
    series.steps.push(step ?? -1);
    series.values.push(m.value);
    series.timestamps.push(timestamp);
  });
  return [...byKey].map(([key, s]) => ({ key, ...s }));
}

/** A validated run start (without project), shared by startRun and recordLineage. */
export interface RunSpec {
  readonly name: string;
  readonly type: RunType;
  readonly experiment: string | null;
  readonly parentId: string | null;
  readonly paramsJson: string;
  readonly code: { repository: string | null; commit: string | null; path: string | null; digest: string | null; dirty: boolean | null } | null;
  readonly environmentJson: string | null;
  readonly inputs: readonly { id: string; role: string | null }[];
  readonly idempotencyKey: string | null;
}

/** Checks the fields of a StartRunInput; `at` is the input's path for errors. */
export function checkRunStart(at: string, input: Omit<StartRunInput, 'project'>): RunSpec {
  const name = checkName(`${at}.name`, input.name);
  if (!RUN_TYPES.has(input.type)) throw badInput(`${at}.type`, `${at}.type is not a run type`);
  const optionalName = (field: string, value: string | null | undefined) => (value === null || value === undefined ? null : checkName(`${at}.${field}`, value));
  const code = input.code
    ? {
        repository: checkOptionalText(`${at}.code.repository`, input.code.repository),
        commit: checkOptionalText(`${at}.code.commit`, input.code.commit, MAX_NAME_LENGTH),
        path: checkOptionalText(`${at}.code.path`, input.code.path),
        digest: checkOptionalText(`${at}.code.digest`, input.code.digest, MAX_NAME_LENGTH),
        dirty: input.code.dirty ?? null,
      }
    : null;
  const environment = input.environment
    ? {
        image: checkOptionalText(`${at}.environment.image`, input.environment.image),
        python: checkOptionalText(`${at}.environment.python`, input.environment.python, MAX_NAME_LENGTH),
        packages: parseJson(checkOptionalJson(`${at}.environment.packages`, input.environment.packages)),
        hardware: parseJson(checkOptionalJson(`${at}.environment.hardware`, input.environment.hardware)),
      }
    : null;
  return {
    name,
    type: input.type,
    experiment: optionalName('experiment', input.experiment),
    parentId: optionalName('parent', input.parent),
    paramsJson: checkJsonObject(`${at}.params`, input.params),
    code,
    environmentJson: environment ? checkOptionalJson(`${at}.environment`, environment) : null,
    inputs: checkRefs(`${at}.inputs`, input.inputs),
    idempotencyKey: optionalName('idempotencyKey', input.idempotencyKey),
  };
}

export async function startRun(ctx: ServiceDeps, input: StartRunInput): Promise<RunRow> {
  const projectId = checkName('input.project', input.project);
  const { name, type, experiment, parentId, paramsJson, code, environmentJson, inputs, idempotencyKey } = checkRunStart('input', input);
  const fingerprint = runFingerprint({ type, code, params: JSON.parse(paramsJson), inputIds: inputs.map((i) => i.id) });
  const runId = newId('Run');
  const actor = ctx.viewer.subject;

  const checks = projectAndRefChecks(ctx.viewer, projectId, 'WRITER', [
    ...inputs.map((ref, i) => ({ field: `input.inputs[${i}].id`, id: ref.id, labels: LINEAGE_LABELS })),
    ...(parentId ? [{ field: 'input.parent', id: parentId, labels: ['Run'] as const }] : []),
  ]);

  const run = {
    id: runId,
    projectId,
    createdBy: actor,
    name,
    type,
    paramsJson,
    codeJson: code ? canonicalJson(code) : null,
    environmentJson,
    fingerprint,
    idempotencyKey,
    parentId,
    searchProps: searchProperties(paramsJson),
  };
  const links = { experiment: experiment ? { id: newId('Experiment'), name: experiment } : null, inputs };
  const events: NewEvent[] = [{ kind: 'RUN_STARTED', projectId, subjectId: runId, name, actor }];
  // One statement: the run with its links and its event, and the project and referenced nodes
  // for the checks. When the idempotency key names an earlier run, nothing is created and no
  // event written.
  return gatedWrite(
    ctx.executor,
    'startRun',
    async (tx) => (await createRun(tx, run, links, events, checks.ids, checks.gate))?.run ?? null,
    async (tx) => {
      const created = (await createRun(tx, run, links, events, checks.ids, null))!;
      checks.check(created.headers);
      return created.run;
    },
  );
}

/** The run, locked, when the viewer may record in its project. */
export async function requireRun(tx: Tx, viewer: Viewer, runId: string): Promise<RunRow> {
  return recordableRun(viewer, runId, await lockRun(tx, runId));
}

/** `run` (as read by id) when the viewer may record in its project; NOT_FOUND when missing or not readable. */
export function recordableRun(viewer: Viewer, runId: string, run: RunRow | null): RunRow {
  const hidden = () => notFound('run', runId, 'input.run');
  if (!run) throw hidden();
  requireRole(viewer, run.projectId, 'WRITER', hidden);
  return run;
}

export async function logMetrics(ctx: ServiceDeps, input: LogMetricsInput): Promise<RunRow> {
  const runId = checkName('input.run', input.run);
  const series = checkMetrics('input.metrics', input.metrics);
  const checked = async (tx: Tx): Promise<RunRow> => {
    const run = await requireRun(tx, ctx.viewer, runId);
    if (run.status !== 'RUNNING') {
      throw conflict(`the run is ${run.status}; only RUNNING runs accept metrics`, { status: run.status });
    }
    if (series.length === 0) return run;
    // The append sets nothing on the run but its summary, so the answer is the locked row with
    // the new summary, without reading the run again.
    return { ...run, summaryMetricsJson: await appendMetrics(tx, runId, series) };
  };
  if (series.length === 0) return ctx.executor.write('logMetrics', checked);
  // One statement, its own transaction, when the run accepts the points; otherwise the checked
  // unit names the refusal (src/recording/gated-write.ts).
  return gatedWrite(ctx.executor, 'logMetrics', (tx) => appendMetricsChecked(tx, runId, series, projectsWithRole(ctx.viewer, 'WRITER')), checked);
}

export async function finishRun(ctx: ServiceDeps, input: FinishRunInput): Promise<RunRow> {
  const runId = checkName('input.run', input.run);
  const outputs = checkRefs('input.outputs', input.outputs);
  const series = checkMetrics('input.metrics', input.metrics ?? []);
  return ctx.executor.write('finishRun', (tx) => finishRunIn(tx, ctx.viewer, runId, input.status, outputs, series));
}

/**
 * finishRun's unit of work inside the caller's transaction (checked inputs): the state machine,
 * outputs, metrics, and the RUN_FINISHED event with its audit entry. Finishing again with the
 * same status returns the run and writes nothing.
 */
export async function finishRunIn(
  tx: Tx,
  viewer: Viewer,
  runId: string,
  status: RunStatus,
  outputs: readonly { id: string; role: string | null }[] = [],
  series: readonly SeriesAppend[] = [],
): Promise<RunRow> {
  const run = await requireRun(tx, viewer, runId);
  if (transition(run.status, status) === 'noop') return run;
  await requireRefs(
    tx,
    run.projectId,
    outputs.map((ref, i) => ({ field: `input.outputs[${i}].id`, id: ref.id, labels: OUTPUT_LABELS })),
  );
  if (series.length > 0) await appendMetrics(tx, runId, series);
  const finished = await finishRunNode(tx, runId, status, outputs);
  // An output the run used (or that something upstream of the run derives from) would make a
  // cycle: checked against the stored graph, in this transaction, so a refusal writes nothing.
  const cycle = await firstCycle(tx, outputs.map((o) => ({ from: o.id, to: runId })));
  if (cycle) {
    const i = outputs.findIndex((o) => o.id === cycle.from);
    throw lineageCycle(`input.outputs[${i}].id`, `${cycle.from} -[GENERATED_BY]-> ${runId}`, cycle.hops);
  }
  await appendEvents(tx, [{ kind: 'RUN_FINISHED', projectId: run.projectId, subjectId: runId, name: run.name, actor: viewer.subject }]);
  return finished;
}
