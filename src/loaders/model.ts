/** Relationship loaders of the model aggregate (per request; see src/loaders/index.ts). */
import DataLoader from 'dataloader';
import type { CheckpointRow, DeploymentRow, ModelRow, ModelVersionRow, RunRow } from '../domain/rows.ts';
import { byParent } from './by-parent.ts';
import type { Executor } from '../neo4j/executor.ts';
import { deploymentsOfModels, deploymentsOfVersions, type DeploymentsKey } from '../neo4j/queries/deployments.ts';
import {
  aliasesOfModels,
  aliasNamesOfVersions,
  latestVersions,
  modelsByName,
  modelsPage,
  producingRuns,
  sourceCheckpoints,
  versionsByNumber,
  versionsPage,
  type AliasRow,
  type ModelKey,
  type PageKey,
} from '../neo4j/queries/models.ts';

export interface ModelLoaders {
  readonly modelByName: DataLoader<ModelKey, ModelRow | null, string>;
  /** Keyed by project id; `limit` is the page size plus one. */
  readonly projectModels: DataLoader<PageKey, ModelRow[], string>;
  /** Keyed by model id, newest first; `limit` is the page size plus one. */
  readonly modelVersions: DataLoader<PageKey, ModelVersionRow[], string>;
  readonly latestModelVersion: DataLoader<string, ModelVersionRow | null>;
  readonly modelVersionByNumber: DataLoader<{ modelId: string; number: number }, ModelVersionRow | null, string>;
  readonly modelAliases: DataLoader<string, AliasRow[]>;
  readonly modelDeployments: DataLoader<DeploymentsKey, DeploymentRow[], string>;
  readonly versionAliasNames: DataLoader<string, string[]>;
  readonly versionSourceCheckpoint: DataLoader<string, CheckpointRow | null>;
  readonly versionProducedBy: DataLoader<string, RunRow | null>;
  readonly versionDeployments: DataLoader<string, DeploymentRow[]>;
}

const cacheKeyFn = (key: object): string => JSON.stringify(key);

export function createModelLoaders(executor: Executor, scope: (projectId: string) => boolean): ModelLoaders {
  /** Aligned results for structured keys, one query per batch. */
  function keyed<K extends object, V>(unit: string, fetch: (tx: Parameters<Parameters<Executor['read']>[1]>[0], keys: readonly K[]) => Promise<V[]>) {
    return new DataLoader<K, V, string>((keys) => executor.readOne(unit, (tx) => fetch(tx, keys)), { cacheKeyFn });
  }
  /** At most one row per parent id. */
  function single<V>(unit: string, fetch: (tx: Parameters<Parameters<Executor['read']>[1]>[0], ids: readonly string[]) => Promise<Array<[string, V]>>) {
    return new DataLoader<string, V | null>(async (ids) => {
      const pairs = new Map(await executor.readOne(unit, (tx) => fetch(tx, ids)));
      return ids.map((id) => pairs.get(id) ?? null);
    });
  }

  return {
    modelByName: new DataLoader<ModelKey, ModelRow | null, string>(
      async (keys) => (await executor.readOne('Model.byName', (tx) => modelsByName(tx, keys))).map((row) => (row && scope(row.projectId) ? row : null)),
      { cacheKeyFn },
    ),
    projectModels: keyed('Project.models', modelsPage),
    modelVersions: keyed('Model.versions', versionsPage),
    latestModelVersion: single('Model.latestVersion', latestVersions),
    modelVersionByNumber: keyed('Model.version', versionsByNumber),
    modelAliases: byParent(executor, 'Model.aliases', aliasesOfModels),
    modelDeployments: keyed('Model.deployments', deploymentsOfModels),
    versionAliasNames: byParent(executor, 'ModelVersion.aliases', aliasNamesOfVersions),
    versionSourceCheckpoint: single('ModelVersion.sourceCheckpoint', sourceCheckpoints),
    versionProducedBy: single('ModelVersion.producedBy', producingRuns),
    versionDeployments: byParent(executor, 'ModelVersion.deployments', deploymentsOfVersions),
  };
}
