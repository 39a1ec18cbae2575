/** Datasets, dataset versions and artifacts: reads, and the registerDatasetVersion/recordArtifact mutations. */
import { canRead } from '../../auth/authorize.ts';
import type { Resolvers } from '../../generated/graphql.ts';
import { checkFirst, connection, decodeCursor, encodeCursor } from '../../domain/connection.ts';
import type { ArtifactRow, DatasetVersionRow } from '../../domain/rows.ts';
import { datasetByName } from '../../neo4j/queries/datasets.ts';
import { recordArtifact } from '../../recording/artifacts.ts';
import { registerDatasetVersion } from '../../recording/datasets.ts';
import { parseJson } from '../../domain/json.ts';
import { lineageNodeFields } from './lineage-node.ts';
import { entityReference } from './reference.ts';

const MAX_PAGE_SIZE = 1000;

export const datasetResolvers: Resolvers = {
  Query: {
    async dataset(_parent, { project, name }, ctx) {
      if (!canRead(ctx.viewer, project)) return null;
      const row = await ctx.executor.read('Dataset.byName', (tx) => datasetByName(tx, project, name));
      if (row) ctx.loaders.dataset.prime(row.id, row);
      return row;
    },
  },
  Mutation: {
    registerDatasetVersion: (_parent, { input }, ctx) => registerDatasetVersion(ctx, input),
    recordArtifact: (_parent, { input }, ctx) => recordArtifact(ctx, input),
  },
  Project: {
    async datasets(project, { first, after }, ctx) {
      const limit = checkFirst(first, MAX_PAGE_SIZE) + 1;
      const rows = await ctx.loaders.projectDatasetPage.load({ parentId: project.id, after: decodeCursor(after, 'datasets', ['string'])?.[0] ?? null, limit });
      return connection(rows, first, (d) => encodeCursor('datasets', [d.name]));
    },
  },
  Dataset: {
    __resolveReference: entityReference('Dataset', (loaders) => loaders.dataset),
    project: async (dataset, _args, ctx) => (await ctx.loaders.project.load(dataset.projectId))!,
    description: (dataset) => dataset.description ?? null,
    async versions(dataset, { first, after }, ctx) {
      const limit = checkFirst(first, MAX_PAGE_SIZE) + 1;
      const rows = await ctx.loaders.datasetVersionPage.load({ parentId: dataset.id, after: decodeCursor(after, 'datasetVersions', ['integer'])?.[0] ?? null, limit });
      return connection(rows, first, (v) => encodeCursor('datasetVersions', [v.number]));
    },
    latestVersion: (dataset, _args, ctx) => ctx.loaders.datasetLatestVersion.load(dataset.id),
    version: (dataset, { number }, ctx) => ctx.loaders.datasetVersionByNumber.load({ datasetId: dataset.id, number }),
  },
  DatasetVersion: {
    ...lineageNodeFields<DatasetVersionRow>('DatasetVersion'),
    __resolveReference: entityReference('DatasetVersion', (loaders) => loaders.datasetVersion),
    displayName: async (version, _args, ctx) => {
      const dataset = await ctx.loaders.dataset.load(version.datasetId);
      return `${dataset?.name ?? version.datasetId}@${version.number}`;
    },
    dataset: async (version, _args, ctx) => (await ctx.loaders.dataset.load(version.datasetId))!,
    label: (version) => version.label ?? null,
    sizeBytes: (version) => version.sizeBytes ?? null,
    recordCount: (version) => version.recordCount ?? null,
    schema: (version) => parseJson(version.schemaJson ?? null),
    properties: (version) => parseJson(version.propertiesJson),
    producedBy: (version, _args, ctx) => ctx.loaders.dataProducedBy.load(version.id),
    consumedBy: (version, _args, ctx) => ctx.loaders.dataConsumedBy.load(version.id),
    previous: (version, _args, ctx) =>
      version.number > 1 ? ctx.loaders.datasetVersionByNumber.load({ datasetId: version.datasetId, number: version.number - 1 }) : null,
  },
  Artifact: {
    ...lineageNodeFields<ArtifactRow>('Artifact'),
    __resolveReference: entityReference('Artifact', (loaders) => loaders.artifact),
    displayName: (artifact) => `${artifact.type}:${artifact.name}`,
    uri: (artifact) => artifact.uri ?? null,
    digest: (artifact) => artifact.digest ?? null,
    properties: (artifact) => parseJson(artifact.propertiesJson),
    producedBy: (artifact, _args, ctx) => ctx.loaders.dataProducedBy.load(artifact.id),
    consumedBy: (artifact, _args, ctx) => ctx.loaders.dataConsumedBy.load(artifact.id),
  },
};
