/** The model registry: models, versions, aliases, deployments and their mutations. */
import type { Context } from '../../context.ts';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../domain/connection.ts';
import type { AliasMove, ModelAlias, Resolvers } from '../../generated/graphql.ts';
import type { DeploymentRow, ModelRow, ModelVersionRow, UserRef } from '../../domain/rows.ts';
import type { AliasRow } from '../../neo4j/queries/models.ts';
import { deployModelVersion, rollbackDeployment } from '../../recording/deployments.ts';
import { parseJson } from '../../domain/json.ts';
import { registerModelVersion, setModelAlias, setModelVersionStatus } from '../../recording/models.ts';
import { lineageNodeFields, userRef } from './lineage-node.ts';
import { entityReference } from './reference.ts';

async function loadModel(ctx: Context, id: string): Promise<ModelRow> {
  return (await ctx.loaders.model.load(id))!;
}

async function loadVersion(ctx: Context, id: string): Promise<ModelVersionRow> {
  return (await ctx.loaders.modelVersion.load(id))!;
}

type AliasMoveParent = Omit<AliasMove, 'from' | 'to' | 'by'> & { from: ModelVersionRow | null; to: ModelVersionRow; by: UserRef | null };
type ModelAliasParent = Omit<ModelAlias, 'version' | 'updatedBy' | 'history'> & {
  version: ModelVersionRow;
  updatedBy: UserRef | null;
  history: AliasMoveParent[];
};

/**
 * An alias with its target and history loaded (ModelAlias has no row mapper). A removal (a move
 * to nothing) has no place in AliasMove, whose `to` is required: it is left out, and the move
 * that set the alias again shows `from: null`, as a first move does.
 */
async function aliasObject(ctx: Context, row: AliasRow): Promise<ModelAliasParent> {
  const [version, history] = await Promise.all([
    loadVersion(ctx, row.versionId),
    Promise.all(
      row.history.flatMap((move) => (move.toId === null ? [] : [{ ...move, toId: move.toId }])).map(async (move) => ({
        from: move.fromId ? await loadVersion(ctx, move.fromId) : null,
        to: await loadVersion(ctx, move.toId),
        at: move.at,
        by: userRef(move.by),
      })),
    ),
  ]);
  return { name: row.name, version, updatedAt: row.updatedAt, updatedBy: userRef(row.updatedBy), history };
}

export const modelResolvers: Resolvers = {
  Query: {
    model: (_parent, { project, name }, ctx) => ctx.loaders.modelByName.load({ projectId: project, name }),
  },
  Mutation: {
    registerModelVersion: (_parent, { input }, ctx) => registerModelVersion(ctx, input),
    async setModelAlias(_parent, { input }, ctx) {
      const { modelId, alias } = await setModelAlias(ctx, input);
      const row = (await ctx.loaders.modelAliases.load(modelId)).find((a) => a.name === alias)!;
      return aliasObject(ctx, row);
    },
    setModelVersionStatus: (_parent, { input }, ctx) => setModelVersionStatus(ctx, input),
    deployModelVersion: (_parent, { input }, ctx) => deployModelVersion(ctx, input),
    rollbackDeployment: (_parent, { input }, ctx) => rollbackDeployment(ctx, input),
  },
  Project: {
    async models(project, { first, after }, ctx) {
      const limit = checkFirst(first) + 1;
      const rows = await ctx.loaders.projectModels.load({ parentId: project.id, limit, after: decodeCursor(after, 'models', ['string'])?.[0] ?? null });
      return connection(rows, first, (m) => encodeCursor('models', [m.name]));
    },
  },
  Model: {
    __resolveReference: entityReference('Model', (loaders) => loaders.model),
    project: async (model, _args, ctx) => (await ctx.loaders.project.load(model.projectId))!,
    async versions(model, { first, after }, ctx) {
      const limit = checkFirst(first) + 1;
      const rows = await ctx.loaders.modelVersions.load({ parentId: model.id, limit, after: decodeCursor(after, 'modelVersions', ['integer'])?.[0] ?? null });
      return connection(rows, first, (v) => encodeCursor('modelVersions', [v.number]));
    },
    latestVersion: (model, _args, ctx) => ctx.loaders.latestModelVersion.load(model.id),
    version: (model, { number }, ctx) => ctx.loaders.modelVersionByNumber.load({ modelId: model.id, number }),
    async alias(model, { name }, ctx) {
      const row = (await ctx.loaders.modelAliases.load(model.id)).find((a) => a.name === name);
      return row ? loadVersion(ctx, row.versionId) : null;
    },
    async aliases(model, _args, ctx) {
      const rows = await ctx.loaders.modelAliases.load(model.id);
      return Promise.all(rows.map((row) => aliasObject(ctx, row)));
    },
    deployments: (model, { environment, activeOnly }, ctx) =>
      ctx.loaders.modelDeployments.load({ modelId: model.id, environment: environment ?? null, activeOnly }),
  },
  ModelVersion: {
    ...lineageNodeFields<ModelVersionRow>('ModelVersion'),
    __resolveReference: entityReference('ModelVersion', (loaders) => loaders.modelVersion),
    displayName: async (version, _args, ctx) => `${(await loadModel(ctx, version.modelId)).name}@${version.number}`,
    model: (version, _args, ctx) => loadModel(ctx, version.modelId),
    aliases: (version, _args, ctx) => ctx.loaders.versionAliasNames.load(version.id),
    metrics: (version) => parseJson(version.metricsJson) ?? {},
    sourceCheckpoint: (version, _args, ctx) => ctx.loaders.versionSourceCheckpoint.load(version.id),
    producedBy: (version, _args, ctx) => ctx.loaders.versionProducedBy.load(version.id),
    deployments: (version, _args, ctx) => ctx.loaders.versionDeployments.load(version.id),
  },
  Deployment: {
    ...lineageNodeFields<DeploymentRow>('Deployment'),
    __resolveReference: entityReference('Deployment', (loaders) => loaders.deployment),
    async displayName(deployment, _args, ctx) {
      const [model, version] = await Promise.all([loadModel(ctx, deployment.modelId), loadVersion(ctx, deployment.modelVersionId)]);
      return `${model.name}@${version.number} -> ${deployment.environment}`;
    },
    modelVersion: (deployment, _args, ctx) => loadVersion(ctx, deployment.modelVersionId),
    replaces: (deployment, _args, ctx) => (deployment.replacesId ? ctx.loaders.deployment.load(deployment.replacesId) : null),
  },
};
