/**
 * DataLoaders, created per request: each batches the keys asked for in one tick into one
 * Cypher query, returns results aligned with the keys, and null for a missing key. Loaders
 * of one aggregate's relationships live beside its queries (src/loaders/<aggregate>.ts) and
 * are composed here.
 */
import DataLoader from 'dataloader';
import type { ReadScope } from '../auth/scope.ts';
import type { Executor } from '../neo4j/executor.ts';
import { nodesByIds, type ReadableLabel } from '../neo4j/queries/nodes.ts';
import { alignById } from '../neo4j/values.ts';
import type {
  ArtifactRow,
  CheckpointRow,
  DatasetRow,
  DatasetVersionRow,
  DeploymentRow,
  ExperimentRow,
  ModelRow,
  ModelVersionRow,
  ProjectRow,
  RunRow,
} from '../model.ts';
import { createDatasetLoaders, type DatasetLoaders } from './dataset.ts';
import { createModelLoaders, type ModelLoaders } from './model.ts';
import { createRunLoaders, type RunLoaders } from './run.ts';
import { createUserLoaders, type UserLoaders } from './user.ts';

export interface Loaders extends DatasetLoaders, RunLoaders, ModelLoaders, UserLoaders {
  readonly project: DataLoader<string, ProjectRow | null>;
  readonly dataset: DataLoader<string, DatasetRow | null>;
  readonly datasetVersion: DataLoader<string, DatasetVersionRow | null>;
  readonly experiment: DataLoader<string, ExperimentRow | null>;
  readonly run: DataLoader<string, RunRow | null>;
  readonly checkpoint: DataLoader<string, CheckpointRow | null>;
  readonly artifact: DataLoader<string, ArtifactRow | null>;
  readonly model: DataLoader<string, ModelRow | null>;
  readonly modelVersion: DataLoader<string, ModelVersionRow | null>;
  readonly deployment: DataLoader<string, DeploymentRow | null>;
}

/** `scope` is the viewer's project read scope (src/auth/scope.ts), for loaders that list across projects. */
export function createLoaders(executor: Executor, scope: ReadScope): Loaders {
  return {
    ...createDatasetLoaders(executor),
    ...createRunLoaders(executor),
    ...createModelLoaders(executor),
    ...createUserLoaders(executor, scope),
    project: byId(executor, 'Project'),
    dataset: byId(executor, 'Dataset'),
    datasetVersion: byId(executor, 'DatasetVersion'),
    experiment: byId(executor, 'Experiment'),
    run: byId(executor, 'Run'),
    checkpoint: byId(executor, 'Checkpoint'),
    artifact: byId(executor, 'Artifact'),
    model: byId(executor, 'Model'),
    modelVersion: byId(executor, 'ModelVersion'),
    deployment: byId(executor, 'Deployment'),
  };
}

function byId<T extends { id: string }>(executor: Executor, label: ReadableLabel): DataLoader<string, T | null> {
  return new DataLoader(
    async (ids) => alignById(ids, await executor.read(`${label}.byIds`, (tx) => nodesByIds<T>(tx, label, ids))),
    { maxBatchSize: 5_000 },
  );
}

/** The rows that exist for `ids`, in order; a loader failure propagates. */
export async function loadExisting<T>(loader: DataLoader<string, T | null>, ids: readonly string[]): Promise<T[]> {
  const rows = await loader.loadMany(ids);
  return rows.filter((row): row is T => {
    if (row instanceof Error) throw row;
    return row !== null;
  });
}
