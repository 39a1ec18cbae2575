/** Serving observations: dataset profiles, serving windows, skew reports and thresholds. */
import type { Context } from '../../context.ts';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../domain/connection.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { parseFeatures, setDatasetProfile, type MonitoringDeps } from '../../monitoring/profiles.ts';
import type { SkewReport } from '../../monitoring/skew.ts';
import { recordServingWindow, setSkewThreshold } from '../../monitoring/windows.ts';
import { windowsOf } from '../../neo4j/queries/monitoring.ts';

const deps = (ctx: Context): MonitoringDeps => ({ executor: ctx.executor, viewer: ctx.viewer, servingTargets: ctx.servingTargets });

const parseSkew = (json: string | null): SkewReport | null => (json === null ? null : (JSON.parse(json) as SkewReport));

export const monitoringResolvers: Resolvers = {
  Mutation: {
    async setDatasetProfile(_parent, { input }, ctx) {
      const id = await setDatasetProfile(deps(ctx), input);
      return (await ctx.loaders.datasetVersion.load(id))!;
    },
    recordServingWindow: (_parent, { input }, ctx) => recordServingWindow(deps(ctx), input),
    setSkewThreshold: (_parent, { input }, ctx) => setSkewThreshold(deps(ctx), input),
  },
  DatasetVersion: {
    profile: async (version, _args, ctx) => {
      const json = await ctx.loaders.datasetProfile.load(version.id);
      return json === null ? [] : parseFeatures(json);
    },
  },
  Deployment: {
    async servingWindows(deployment, { first, after }, ctx) {
      // A window's position in the deployment's newest-first list: its end and start (epoch ms).
      const limit = checkFirst(first) + 1;
      const cursor = decodeCursor(after, 'servingWindows', ['integer', 'integer']);
      const position = cursor && { endMs: cursor[0], startMs: cursor[1] };
      const rows = await ctx.executor.readOne('Deployment.servingWindows', (tx) => windowsOf(tx, deployment.id, position, limit));
      return connection(rows, first, (window) => encodeCursor('servingWindows', [window.endMs, window.startMs]));
    },
    latestSkew: async (deployment, _args, ctx) => parseSkew(await ctx.loaders.latestSkew.load(deployment.id)),
  },
  ServingWindow: {
    deployment: async (window, _args, ctx) => (await ctx.loaders.deployment.load(window.deploymentId))!,
    start: (window) => new Date(window.startMs),
    end: (window) => new Date(window.endMs),
    metrics: (window) => JSON.parse(window.metricsJson) as unknown,
    features: (window) => parseFeatures(window.featuresJson),
    skew: (window) => parseSkew(window.skewJson),
  },
  SkewReport: {
    baseline: (report, _args, ctx) => ctx.loaders.datasetVersion.load(report.baselineId),
  },
};
