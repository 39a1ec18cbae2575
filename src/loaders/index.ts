/**
 * DataLoaders, created per request: each batches the keys asked for in one tick into one
 * Cypher query, returns results aligned with the keys, and null for a missing key. Loaders
 * of one aggregate's relationships live beside its queries (src/loaders/<aggregate>.ts) and
 * are composed here.
 */
import DataLoader from 'dataloader';
import { canReadProject, type ReadScope } from '../auth/scope.ts';
import type { Executor } from '../neo4j/executor.ts';
import { nodesByLabelledIds, type NodesRequest, type ReadableLabel } from '../neo4j/queries/nodes.ts';
import type {
  ArtifactRow,
  LineageLabel,
  CheckpointRow,
  DatasetRow,
  DatasetVersionRow,
  DeploymentRow,
  ExperimentRow,
  ModelRow,
  ModelVersionRow,
  ProjectRow,
  RunRow,
} from '../domain/rows.ts';
import { createDatasetLoaders, type DatasetLoaders } from './dataset.ts';
import { createGovernanceLoaders, type GovernanceLoaders } from './governance.ts';
import { createModelLoaders, type ModelLoaders } from './model.ts';
import { createMonitoringLoaders, type MonitoringLoaders } from './monitoring.ts';
import { createRunLoaders, type RunLoaders } from './run.ts';
import { createUserLoaders, type UserLoaders } from './user.ts';
import { createWebhookLoaders, type WebhookLoaders } from './webhooks.ts';

export interface Loaders extends DatasetLoaders, RunLoaders, ModelLoaders, UserLoaders, GovernanceLoaders, MonitoringLoaders, WebhookLoaders {
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
  /** Unscoped rows (whole or partial) by label and id; the by-id loaders above batch through it. */
  readonly nodes: DataLoader<LabelledId, unknown, string>;
}

/**
 * `scope` is the viewer's project read scope (src/auth/scope.ts). Lookups by id and by name
 * filter by it; loaders of a parent's children need not, since children share their parent's
 * project and the parent was loaded through a scoped loader.
 */
export function createLoaders(executor: Executor, scope: ReadScope): Loaders {
  const readable = (projectId: string) => canReadProject(scope, projectId);
  const nodes = nodesLoader(executor);
  const byId = <T extends { id: string }>(label: ReadableLabel) => byIdIn<T>(nodes, label, readable);
  return {
    ...createDatasetLoaders(executor),
    ...createRunLoaders(executor),
    ...createModelLoaders(executor, readable),
    ...createUserLoaders(executor, scope),
    ...createGovernanceLoaders(executor),
    ...createWebhookLoaders(executor),
    ...createMonitoringLoaders(executor),
    project: byId('Project'),
    dataset: byId('Dataset'),
    datasetVersion: byId('DatasetVersion'),
    experiment: byId('Experiment'),
    run: byId('Run'),
    checkpoint: byId('Checkpoint'),
    artifact: byId('Artifact'),
    model: byId('Model'),
    modelVersion: byId('ModelVersion'),
    deployment: byId('Deployment'),
    nodes,
  };
}

/** A node by label and id: its whole row, or a partial row of only `properties` (sorted; see entityReference). */
export interface LabelledId {
  readonly label: ReadableLabel;
  readonly id: string;
  readonly properties: readonly string[] | null;
}

/**
 * Unscoped rows by label and id, behind the by-id loaders: the batches of all labels
 * dispatched in one tick (e.g. `_entities` of ten types) become one Cypher statement.
 */
function nodesLoader(executor: Executor): DataLoader<LabelledId, unknown, string> {
  return new DataLoader<LabelledId, unknown, string>(
    async (keys) => {
      const requests = new Map<string, NodesRequest & { ids: string[] }>();
      for (const key of keys) {
        const request = requests.get(requestKey(key));
        if (request) request.ids.push(key.id);
        else requests.set(requestKey(key), { label: key.label, ids: [key.id], properties: key.properties });
      }
      const rows = await executor.readOne('nodes.byIds', (tx) => nodesByLabelledIds(tx, [...requests.values()]));
      const byKey = new Map<string, unknown>();
      [...requests.values()].forEach(({ label, properties }, i) => {
        for (const row of rows[i]!) byKey.set(labelledKey({ label, id: (row as { id: string }).id, properties }), row);
      });
      return keys.map((key) => byKey.get(labelledKey(key)) ?? null);
    },
    { cacheKeyFn: labelledKey, maxBatchSize: 10_000 },
  );
}

/** Keys read by the same UNION ALL branch: one label, the same properties. */
const requestKey = ({ label, properties }: Omit<LabelledId, 'id'>): string => `${label}:${properties?.join(',') ?? '*'}`;
const labelledKey = (key: LabelledId): string => `${requestKey(key)}:${key.id}`;

/** Rows of `label` by id, null outside the scope; batches go through the shared `nodes` loader. */
function byIdIn<T extends { id: string }>(nodes: DataLoader<LabelledId, unknown, string>, label: ReadableLabel, scope: (projectId: string) => boolean): DataLoader<string, T | null> {
  return new DataLoader(
    async (ids) => {
      const rows = (await nodes.loadMany(ids.map((id) => ({ label, id, properties: null })))) as Array<T | null | Error>;
      return rows.map((row) => (row instanceof Error || row === null || scope(projectOf(row)) ? row : null));
    },
    { maxBatchSize: 5_000 },
  );
}

/** The byId loader of each lineage label (node(id), event pages). */
export const LINEAGE_LOADER = {
  DatasetVersion: 'datasetVersion',
  Run: 'run',
  Checkpoint: 'checkpoint',
  ModelVersion: 'modelVersion',
  Deployment: 'deployment',
  Artifact: 'artifact',
} as const satisfies Record<LineageLabel, keyof Loaders>;

/** A row's project: its projectId, or its own id for a Project. */
export function projectOf(row: { id: string; projectId?: string }): string {
  return row.projectId ?? row.id;
}

/** The rows that exist for `ids`, in order; a loader failure propagates. */
export async function loadExisting<T>(loader: DataLoader<string, T | null>, ids: readonly string[]): Promise<T[]> {
  const rows = await loader.loadMany(ids);
  return rows.filter((row): row is T => {
    if (row instanceof Error) throw row;
    return row !== null;
  });
}
