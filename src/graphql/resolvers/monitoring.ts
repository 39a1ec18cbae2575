/** Serving observations: dataset profiles, serving windows, skew reports and thresholds. */
import type { Context } from '../../context.ts';
import { badInput } from '../../domain/errors.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { parseFeatures, setDatasetProfile, type MonitoringDeps } from '../../monitoring/profiles.ts';
import type { SkewReport } from '../../monitoring/skew.ts';
import { recordServingWindow, setSkewThreshold } from '../../monitoring/windows.ts';
import { windowsOf } from '../../neo4j/queries/monitoring.ts';

const MAX_PAGE = 500;

const deps = (ctx: Context): MonitoringDeps => ({ executor: ctx.executor, viewer: ctx.viewer });

/** Cursor of a window in a deployment's newest-first list: its end and start (epoch ms). */
function encodeCursor(position: { endMs: number; startMs: number }): string {
  return Buffer.from(JSON.stringify(['window', position.endMs, position.startMs])).toString('base64url');
}

function decodeCursor(after: string | null | undefined): { endMs: number; startMs: number } | null {
  if (after == null) return null;
  try {
    const decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(decoded) && decoded.length === 3 && decoded[0] === 'window' && Number.isInteger(decoded[1]) && Number.isInteger(decoded[2])) {
      return { endMs: decoded[1] as number, startMs: decoded[2] as number };
    }
  } catch {
    // fall through
  }
  throw badInput('after', 'after is not a cursor of this list');
}

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
      if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw badInput('first', `first must be between 0 and ${MAX_PAGE}`);
      const position = decodeCursor(after);
      const rows = await ctx.executor.readOne('Deployment.servingWindows', (tx) => windowsOf(tx, deployment.id, position, first + 1));
      const nodes = rows.slice(0, first);
      const last = nodes.at(-1);
      return { nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last) : null } };
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
