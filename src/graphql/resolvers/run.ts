/** Runs, experiments, checkpoints and metric series: reads through loaders, writes in src/recording. */
import type { Context } from '../../context.ts';
import { canRead } from '../../auth/authorize.ts';
import { readScope } from '../../auth/scope.ts';
import { compareRuns } from '../../experiments/compare.ts';
import { pruneCheckpoints } from '../../experiments/prune.ts';
import { searchRuns } from '../../experiments/run-search.ts';
import { badInput, notFound } from '../../domain/errors.ts';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../domain/connection.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import type { LineageNodeRow, RunRow } from '../../domain/rows.ts';
import type { EdgeRow, PageKey } from '../../neo4j/queries/runs.ts';
import { completedRunByFingerprint, experimentIdByName } from '../../neo4j/queries/runs.ts';
import { runFingerprint } from '../../domain/fingerprint.ts';
import { checkName } from '../../recording/validate.ts';
import { logCheckpoint } from '../../recording/checkpoints.ts';
import { checkJsonObject, parseJson } from '../../domain/json.ts';
import { finishRun, logMetrics, startRun } from '../../recording/runs.ts';
import { lineageNodeFields } from './lineage-node.ts';
import { entityReference } from './reference.ts';
import { loadLineageNode } from '../../lineage/node.ts';

/** The page key of a list of experiments or runs (`tag`), keyed by the id of the last one. */
function pageKey(tag: string, parentId: string, first: number, after: string | null | undefined): PageKey {
  checkFirst(first);
  return { parentId, first, after: decodeCursor(after, tag, ['string'], ([id]) => /^[a-z]+_[0-9a-f]{32}$/.test(id))?.[0] ?? null };
}

async function edges(ctx: Context, rows: readonly EdgeRow[]) {
  const nodes = await Promise.all(rows.map((row) => loadLineageNode(ctx, row.nodeId)));
  return rows.flatMap((row, i) => (nodes[i] ? [{ role: row.role, node: nodes[i] as LineageNodeRow }] : []));
}

async function loadRun(ctx: Context, id: string): Promise<RunRow> {
  return (await ctx.loaders.run.load(id))!;
}

const MAX_COMPARED = 100;

export const runResolvers: Resolvers = {
  Query: {
    async compareRuns(_parent, { ids }, ctx) {
      if (ids.length === 0 || ids.length > MAX_COMPARED) throw badInput('ids', `ids must hold 1 to ${MAX_COMPARED} run ids`);
      const runs = await Promise.all(ids.map((id) => ctx.loaders.run.load(id)));
      const missing = runs.findIndex((run) => run === null);
      if (missing >= 0) throw notFound('run', ids[missing]!, `ids[${missing}]`);
      const found = runs as RunRow[];
      return { runs: found, ...compareRuns(found) };
    },
    async cachedRun(_parent, { input }, ctx) {
      if (!canRead(ctx.viewer, input.project)) return null;
      const params: unknown = JSON.parse(checkJsonObject('input.params', input.params));
      const inputIds = input.inputs.map((id, i) => checkName(`input.inputs[${i}]`, id));
      const code = input.code ? { digest: input.code.digest ?? null, commit: input.code.commit ?? null } : null;
      const fingerprint = runFingerprint({ type: input.type, code, params, inputIds });
      return ctx.executor.read('cachedRun', (tx) => completedRunByFingerprint(tx, input.project, fingerprint));
    },
    runs: (_parent, args, ctx) => searchRuns(ctx, args),
    run: (_parent, { id }, ctx) => ctx.loaders.run.load(id),
    async experiment(_parent, { project, name }, ctx) {
      const id = await ctx.executor.readOne('experiments.byName', (tx) => experimentIdByName(tx, project, name, readScope(ctx.viewer).projectIds));
      return id ? ctx.loaders.experiment.load(id) : null;
    },
  },
  Mutation: {
    startRun: (_parent, { input }, ctx) => startRun(ctx, input),
    logMetrics: (_parent, { input }, ctx) => logMetrics(ctx, input),
    logCheckpoint: (_parent, { input }, ctx) => logCheckpoint(ctx, input),
    finishRun: (_parent, { input }, ctx) => finishRun(ctx, input),
    pruneCheckpoints: (_parent, { input }, ctx) => pruneCheckpoints(ctx, input),
  },
  Project: {
    async experiments(project, { first, after }, ctx) {
      const rows = await ctx.loaders.projectExperiments.load(pageKey('experiments', project.id, first, after));
      return connection(rows, first, (experiment) => encodeCursor('experiments', [experiment.id]));
    },
  },
  Experiment: {
    __resolveReference: entityReference('Experiment', (loaders) => loaders.experiment),
    project: async (experiment, _args, ctx) => (await ctx.loaders.project.load(experiment.projectId))!,
    async runs(experiment, { first, after }, ctx) {
      const rows = await ctx.loaders.experimentRuns.load(pageKey('runs', experiment.id, first, after));
      return connection(rows, first, (run) => encodeCursor('runs', [run.id]));
    },
  },
  Run: {
    ...lineageNodeFields<RunRow>('Run'),
    __resolveReference: entityReference('Run', (loaders) => loaders.run),
    displayName: (run) => run.name,
    experiment: (run, _args, ctx) => (run.experimentId ? ctx.loaders.experiment.load(run.experimentId) : null),
    parent: (run, _args, ctx) => (run.parentId ? ctx.loaders.run.load(run.parentId) : null),
    children: (run, _args, ctx) => ctx.loaders.runChildren.load(run.id),
    params: (run) => parseJson(run.paramsJson) ?? {},
    summaryMetrics: (run) => parseJson(run.summaryMetricsJson) ?? {},
    code: (run) => parseJson(run.codeJson ?? null) as never,
    environment: (run) => parseJson(run.environmentJson ?? null) as never,
    endedAt: (run) => run.endedAt ?? null,
    async metrics(run, { keys }, ctx) {
      const series = await ctx.loaders.runMetrics.load(run.id);
      const wanted = keys ? new Set(keys) : null;
      return series
        .filter((s) => !wanted || wanted.has(s.key))
        .map((s) => ({
          key: s.key,
          last: s.last ?? null,
          points: s.values.map((value, i) => ({
            step: s.steps[i] === -1 || s.steps[i] === undefined ? null : s.steps[i]!,
            value,
            timestamp: s.timestamps[i]!,
          })),
        }));
    },
    inputs: async (run, _args, ctx) => edges(ctx, await ctx.loaders.runInputs.load(run.id)),
    outputs: async (run, _args, ctx) => edges(ctx, await ctx.loaders.runOutputs.load(run.id)),
    checkpoints: (run, _args, ctx) => ctx.loaders.runCheckpoints.load(run.id),
  },
  Checkpoint: {
    ...lineageNodeFields('Checkpoint'),
    __resolveReference: entityReference('Checkpoint', (loaders) => loaders.checkpoint),
    async displayName(ckp, _args, ctx) {
      const run = await ctx.loaders.run.load(ckp.runId);
      return `${run?.name ?? ckp.runId}@${ckp.step}`;
    },
    run: (ckp, _args, ctx) => loadRun(ctx, ckp.runId),
    epoch: (ckp) => ckp.epoch ?? null,
    digest: (ckp) => ckp.digest ?? null,
    sizeBytes: (ckp) => ckp.sizeBytes ?? null,
    deletedAt: (ckp) => ckp.deletedAt ?? null,
    metrics: (ckp) => parseJson(ckp.metricsJson) ?? {},
  },
};
