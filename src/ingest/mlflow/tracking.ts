/**
 * MLflow tracking routes: experiments, runs, params, metrics, tags, inputs and outputs. Each
 * validates MLflow's message, then calls the recording service a GraphQL mutation would
 * (startRun, finishRun, logMetrics, recordRunDetails, recordLineage, createExperiment).
 */
import { randomBytes } from 'node:crypto';
import type { BatchNode } from '../../recording/lineage-batch.ts';
import { recordLineage } from '../../recording/lineage-batch.ts';
import { createExperiment } from '../../recording/experiments.ts';
import { recordRunDetails, type CodeRefPatch } from '../../recording/run-details.ts';
import { finishRun, logMetrics, startRun } from '../../recording/runs.ts';
import type { MetricInput } from '../../generated/graphql.ts';
import { experimentPage, experimentsByIdOrName, metricHistory, mlflowRuns, runIdsOfExperiments } from '../../neo4j/queries/mlflow.ts';
import { requireRunInProject, resolveExperiment, type Call, type Handler } from './call.ts';
import { alreadyExists, doesNotExist, invalidParameter } from './errors.ts';
import { keyValues, optionalInteger, optionalList, optionalString, requiredNumber, requiredString, stringList, type Message } from './fields.ts';
import { filterRuns } from './search.ts';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  experimentShape,
  fromMlflowStatus,
  MLFLOW_DIGEST_PREFIX,
  runInfoShape,
  runShape,
  type MlflowRunStatus,
} from './shapes.ts';
import { createHash } from 'node:crypto';

/** MLflow's own batch limits (log-batch). */
const MAX_BATCH_METRICS = 1000;
const MAX_BATCH_PARAMS = 100;
const MAX_BATCH_TAGS = 100;
const MAX_RESULTS = 50_000;

/** Run tags that MLflow's fluent API sets and that fill Pedigree's code reference. */
const CODE_TAGS: Record<string, keyof CodeRefPatch> = {
  'mlflow.source.git.repoURL': 'repository',
  'mlflow.source.git.commit': 'commit',
  'mlflow.source.name': 'path',
};

function codeFrom(tags: Record<string, string>): CodeRefPatch | null {
  const code: Record<string, string> = {};
  for (const [tag, field] of Object.entries(CODE_TAGS)) if (tags[tag] !== undefined) code[field] = tags[tag];
  return Object.keys(code).length > 0 ? code : null;
}

function pageToken(message: Message): number {
  const token = optionalString(message, 'page_token');
  if (token === null) return 0;
  const offset = Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidParameter(`Invalid page token '${token}'.`);
  return offset;
}

function maxResults(message: Message, fallback: number): number {
  const value = optionalInteger(message, 'max_results') ?? fallback;
  if (value < 1 || value > MAX_RESULTS) throw invalidParameter(`Invalid value ${value} for parameter 'max_results': it must be from 1 to ${MAX_RESULTS}.`);
  return value;
}

export function nextPageToken(offset: number, returned: number, total: number): { next_page_token?: string } {
  return offset + returned < total ? { next_page_token: Buffer.from(String(offset + returned)).toString('base64url') } : {};
}

// ------------------------------------------------------------------ experiments

const createExperimentRoute: Handler = async (call) => {
  const name = requiredString(call.message, 'name');
  if (name === DEFAULT_EXPERIMENT_NAME) throw alreadyExists(`Experiment '${name}' already exists.`);
  const experiment = await createExperiment(call.ctx, { project: call.project.id, name });
  return { experiment_id: experiment.id };
};

const getExperiment: Handler = async (call) => {
  const { row, name } = await resolveExperiment(call, requiredString(call.message, 'experiment_id'));
  return { experiment: experimentShape(row ?? { id: DEFAULT_EXPERIMENT_ID, name }) };
};

const getExperimentByName: Handler = async (call) => {
  const name = requiredString(call.message, 'experiment_name');
  if (name === DEFAULT_EXPERIMENT_NAME) return getExperiment({ ...call, message: { experiment_id: DEFAULT_EXPERIMENT_ID } });
  const [row] = await call.ctx.executor.read('mlflow.getExperimentByName', (tx) => experimentsByIdOrName(tx, call.project.id, { names: [name] }));
  if (!row) throw doesNotExist(`Could not find experiment with name '${name}'`);
  return { experiment: experimentShape(row) };
};

const searchExperiments: Handler = async (call) => {
  const limit = maxResults(call.message, 1000);
  const offset = pageToken(call.message);
  const rows = await call.ctx.executor.read('mlflow.searchExperiments', (tx) => experimentPage(tx, call.project.id, 0, MAX_RESULTS));
  const all = rows.some((r) => r.name === DEFAULT_EXPERIMENT_NAME) ? rows : [{ id: DEFAULT_EXPERIMENT_ID, name: DEFAULT_EXPERIMENT_NAME, createdAt: null }, ...rows];
  const filter = optionalString(call.message, 'filter');
  const named = filter === null ? all : all.filter(nameFilter(filter));
  const page = named.slice(offset, offset + limit);
  return { experiments: page.map(experimentShape), ...nextPageToken(offset, page.length, named.length) };
};

/** `name = '...'` and `name LIKE '...'` (with % wildcards), the filters the client builds. */
function nameFilter(filter: string): (row: { name: string }) => boolean {
  const match = /^\s*(?:attributes?\.)?name\s*(=|!=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!match) throw invalidParameter(`Unsupported filter '${filter}': only name = '...' and name LIKE '...' are supported here.`);
  const op = match[1]!.toUpperCase();
  const value = match[2]!.replaceAll("''", "'");
  if (op === '=') return (row) => row.name === value;
  if (op === '!=') return (row) => row.name !== value;
  const pattern = new RegExp(`^${value.split('%').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('_', '.')).join('.*')}$`, op === 'ILIKE' ? 'i' : '');
  return (row) => pattern.test(row.name);
}

// ------------------------------------------------------------------ runs

async function runById(call: Call, runId: string) {
  const [row] = await call.ctx.executor.read('mlflow.getRun', (tx) => mlflowRuns(tx, call.project.id, [runId]));
  if (!row) throw doesNotExist(`Run with id=${runId} not found`);
  return row;
}

const createRun: Handler = async (call) => {
  const { message } = call;
  const experimentId = optionalString(message, 'experiment_id') ?? DEFAULT_EXPERIMENT_ID;
  const tags = keyValues(message, 'tags');
  const name = optionalString(message, 'run_name') ?? tags['mlflow.runName'] ?? `run-${randomBytes(4).toString('hex')}`;
  delete tags['mlflow.runName'];
  const experiment = await resolveExperiment(call, experimentId);
  const code = codeFrom(tags);
  const run = await startRun(call.ctx, {
    project: call.project.id,
    name,
    type: 'TRAINING',
    experiment: experiment.name,
    ...(code ? { code } : {}),
  });
  call.ctx.logger.debug({ runId: run.id }, 'mlflow: run started');
  const withTags = Object.keys(tags).length > 0 ? await recordRunDetails(call.ctx, { run: run.id, tags }) : run;
  return { run: runShape({ run: withTags, experimentName: experiment.name, datasets: [], modelInputs: [], modelOutputs: [] }) };
};

const getRun: Handler = async (call) => ({ run: runShape(await runById(call, requiredString(call.message, 'run_id'))) });

const RUN_STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

const updateRun: Handler = async (call) => {
  const runId = optionalString(call.message, 'run_id') ?? requiredString(call.message, 'run_uuid');
  const status = optionalString(call.message, 'status');
  if (status !== null && !RUN_STATUSES.has(status)) throw invalidParameter(`Invalid value '${status}' for parameter 'status'.`);
  const name = optionalString(call.message, 'run_name');
  optionalInteger(call.message, 'end_time');
  const current = await runById(call, runId);
  let run = current.run;
  if (name !== null && name !== run.name) run = await recordRunDetails(call.ctx, { run: runId, name });
  const target = status === null ? null : fromMlflowStatus(status as MlflowRunStatus);
  if (target !== null && target !== 'RUNNING') run = await finishRun(call.ctx, { run: runId, status: target });
  return { run_info: runInfoShape(run, current.experimentName) };
};

const logParam: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const key = requiredString(call.message, 'key');
  const value = call.message['value'];
  if (typeof value !== 'string') throw invalidParameter("Missing value for required parameter 'value'.");
  await requireRunInProject(call, runId);
  await recordRunDetails(call.ctx, { run: runId, params: { [key]: value } });
  return {};
};

function metricInput(metric: Message): MetricInput {
  const timestamp = optionalInteger(metric, 'timestamp');
  const step = optionalInteger(metric, 'step') ?? 0;
  return {
    key: requiredString(metric, 'key'),
    value: requiredNumber(metric, 'value'),
    step,
    ...(timestamp === null ? {} : { timestamp: new Date(timestamp).toISOString() }),
  };
}

const logMetric: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const metric = metricInput(call.message);
  await requireRunInProject(call, runId);
  const [fresh] = optionalString(call.message, 'model_id') === null ? [metric] : await unseenPoints(call, runId, [metric]);
  if (fresh) await logMetrics(call.ctx, { run: runId, metrics: [fresh] });
  return {};
};

/**
 * MLflow 3 re-sends a run's metric points with a `model_id` when it links them to a logged
 * model; MLflow's store keys a point by (key, timestamp, step, value), so the re-sent point is
 * the same point. Of points that carry a model id, those the run already has are left out.
 */
async function unseenPoints(call: Call, runId: string, points: readonly MetricInput[]): Promise<MetricInput[]> {
  const keys = [...new Set(points.map((p) => p.key))];
  const seen = new Set<string>();
  await call.ctx.executor.read('mlflow.metricPoints', async (tx) => {
    for (const key of keys) {
      const series = await metricHistory(tx, runId, key);
      series?.values.forEach((value, i) => seen.add(JSON.stringify([key, series.steps[i], series.timestamps[i]!.getTime(), value])));
    }
  });
  return points.filter((p) => !seen.has(JSON.stringify([p.key, p.step ?? -1, p.timestamp ? Date.parse(p.timestamp) : null, p.value])));
}

const logBatch: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const metrics = optionalList(call.message, 'metrics');
  const params = keyValues(call.message, 'params');
  const tags = keyValues(call.message, 'tags');
  if (metrics.length > MAX_BATCH_METRICS) throw invalidParameter(`A batch logging request can contain at most ${MAX_BATCH_METRICS} metrics. Got ${metrics.length} metrics.`);
  if (Object.keys(params).length > MAX_BATCH_PARAMS) throw invalidParameter(`A batch logging request can contain at most ${MAX_BATCH_PARAMS} params.`);
  if (Object.keys(tags).length > MAX_BATCH_TAGS) throw invalidParameter(`A batch logging request can contain at most ${MAX_BATCH_TAGS} tags.`);
  const points = metrics.map(metricInput);
  await requireRunInProject(call, runId);
  const linked = metrics.map((m) => optionalString(m, 'model_id') !== null);
  if (linked.some(Boolean)) {
    const fresh = new Set(await unseenPoints(call, runId, points.filter((_, i) => linked[i])));
    points.splice(0, points.length, ...points.filter((p, i) => !linked[i] || fresh.has(p)));
  }
  const code = codeFrom(tags);
  // Metrics alone (what autologgers send while training) leave the run's details as they are:
  // no params, tags, code or fingerprint to update, so they are a logMetrics (one statement).
  if (points.length > 0 && Object.keys(params).length === 0 && Object.keys(tags).length === 0) await logMetrics(call.ctx, { run: runId, metrics: points });
  else await recordRunDetails(call.ctx, { run: runId, metrics: points, params, tags, ...(code ? { code } : {}) });
  return {};
};

const setTag: Handler = async (call) => {
  const runId = optionalString(call.message, 'run_id') ?? requiredString(call.message, 'run_uuid');
  const key = requiredString(call.message, 'key');
  const value = call.message['value'] ?? '';
  if (typeof value !== 'string') throw invalidParameter("Invalid value for parameter 'value': it must be a string.");
  await requireRunInProject(call, runId);
  const code = codeFrom({ [key]: value });
  if (key === 'mlflow.runName') await recordRunDetails(call.ctx, { run: runId, name: value });
  else await recordRunDetails(call.ctx, { run: runId, tags: { [key]: value }, ...(code ? { code } : {}) });
  return {};
};

const deleteTag: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const key = requiredString(call.message, 'key');
  const run = await runById(call, runId);
  if (!(key in (JSON.parse(run.run.tagsJson ?? '{}') as Record<string, string>))) throw doesNotExist(`No tag with name: ${key} in run with id ${runId}`);
  await recordRunDetails(call.ctx, { run: runId, removeTags: [key] });
  return {};
};

/** MLflow dataset digests are short hex strings; anything else is hashed into one. */
function datasetDigest(digest: string): string {
  const hex = /^[0-9a-f]{8,512}$/.test(digest) ? digest : createHash('sha256').update(digest).digest('hex');
  return `${MLFLOW_DIGEST_PREFIX}${hex}`;
}

/** The uri of a dataset's source (MLflow sends the source as a JSON string), or a stable made-up one. */
function datasetUri(sourceType: string, source: string, name: string, digest: string): string {
  try {
    const parsed = JSON.parse(source) as Record<string, unknown>;
    for (const key of ['uri', 'url', 'path', 'table_name']) if (typeof parsed[key] === 'string' && parsed[key] !== '') return parsed[key];
  } catch {
    if (source.trim() !== '') return source;
  }
  return `mlflow-dataset:${sourceType}/${encodeURIComponent(name)}@${digest}`;
}

const logInputs: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const nodes: BatchNode[] = [];
  const edges: { from: string; to: string; kind: 'USED'; role: string | null }[] = [];
  optionalList(call.message, 'datasets').forEach((input, i) => {
    const dataset = input['dataset'];
    if (dataset === null || typeof dataset !== 'object') throw invalidParameter(`Missing value for required parameter 'datasets[${i}].dataset'.`);
    const d = dataset as Message;
    const name = requiredString(d, 'name');
    const digest = requiredString(d, 'digest');
    const sourceType = requiredString(d, 'source_type');
    const source = requiredString(d, 'source');
    const schema = optionalString(d, 'schema');
    const profile = optionalString(d, 'profile');
    const context = keyValues(input, 'tags')['mlflow.data.context'] ?? null;
    let schemaValue: unknown = null;
    if (schema !== null) {
      try {
        schemaValue = JSON.parse(schema);
      } catch {
        schemaValue = schema;
      }
    }
    nodes.push({
      key: `dataset-${i}`,
      kind: 'DATASET_VERSION',
      fields: {
        dataset: name,
        digest: datasetDigest(digest),
        uri: datasetUri(sourceType, source, name, digest),
        schema: schemaValue,
        properties: { mlflow: { source_type: sourceType, source, ...(schema === null ? {} : { schema }), ...(profile === null ? {} : { profile }) } },
      },
    });
    edges.push({ from: runId, to: `dataset-${i}`, kind: 'USED', role: context });
  });
  optionalList(call.message, 'models').forEach((input) => {
    edges.push({ from: runId, to: requiredString(input, 'model_id'), kind: 'USED', role: 'model' });
  });
  await requireRunInProject(call, runId);
  if (nodes.length > 0 || edges.length > 0) await recordLineage(call.ctx, { project: call.project.id, nodes, edges });
  return {};
};

const logOutputs: Handler = async (call) => {
  const runId = requiredString(call.message, 'run_id');
  const edges = optionalList(call.message, 'models').map((output) => ({ from: requiredString(output, 'model_id'), to: runId, kind: 'GENERATED_BY' as const, role: null }));
  await requireRunInProject(call, runId);
  if (edges.length > 0) await recordLineage(call.ctx, { project: call.project.id, nodes: [], edges });
  return {};
};

const searchRuns: Handler = async (call) => {
  const experimentIds = stringList(call.message, 'experiment_ids');
  const limit = maxResults(call.message, 1000);
  const offset = pageToken(call.message);
  const filter = optionalString(call.message, 'filter');
  const experiments = await Promise.all(experimentIds.map((id) => resolveExperiment(call, id).catch(() => null)));
  const ids = experiments.flatMap((e) => (e?.row ? [e.row.id] : []));
  const runIds = await call.ctx.executor.read('mlflow.searchRuns', (tx) => runIdsOfExperiments(tx, call.project.id, ids));
  const rows = await call.ctx.executor.read('mlflow.searchRuns', (tx) => mlflowRuns(tx, call.project.id, runIds));
  const matching = filter === null ? rows : filterRuns(rows, filter);
  const page = matching.slice(offset, offset + limit);
  return { runs: page.map(runShape), ...nextPageToken(offset, page.length, matching.length) };
};

const getMetricHistory: Handler = async (call) => {
  const runId = optionalString(call.message, 'run_id') ?? requiredString(call.message, 'run_uuid');
  const key = requiredString(call.message, 'metric_key');
  const limit = maxResults(call.message, MAX_RESULTS);
  const offset = pageToken(call.message);
  await requireRunInProject(call, runId);
  const series = await call.ctx.executor.read('mlflow.getMetricHistory', (tx) => metricHistory(tx, runId, key));
  const points = (series?.values ?? []).map((value, i) => ({
    key,
    value,
    timestamp: series!.timestamps[i]!.getTime(),
    step: Math.max(0, series!.steps[i]!),
  }));
  const page = points.slice(offset, offset + limit);
  return { metrics: page, ...nextPageToken(offset, page.length, points.length) };
};

export const TRACKING_ROUTES: Record<string, Handler> = {
  'POST experiments/create': createExperimentRoute,
  'GET experiments/get': getExperiment,
  'GET experiments/get-by-name': getExperimentByName,
  'POST experiments/search': searchExperiments,
  'POST runs/create': createRun,
  'GET runs/get': getRun,
  'POST runs/update': updateRun,
  'POST runs/search': searchRuns,
  'POST runs/log-parameter': logParam,
  'POST runs/log-metric': logMetric,
  'POST runs/log-batch': logBatch,
  'POST runs/set-tag': setTag,
  'POST runs/delete-tag': deleteTag,
  'POST runs/log-inputs': logInputs,
  'POST runs/outputs': logOutputs,
  'GET metrics/get-history': getMetricHistory,
};
