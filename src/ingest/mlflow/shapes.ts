/**
 * Pedigree rows in MLflow's response shapes, and the identity rules between the two:
 * run ids, logged model ids (Artifact ids) and version numbers are Pedigree's own; an
 * experiment's id is its Pedigree id, except the project's experiment named "Default",
 * which is MLflow's experiment "0".
 */
import type { ArtifactRow, ExperimentRow, ModelRow, RunRow, RunStatus } from '../../domain/rows.ts';
import type { MlflowRunRow, RegisteredModelRow, RegistryVersionRow } from '../../neo4j/queries/mlflow.ts';

export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Digests of MLflow datasets are stored as `mlflow:<digest>` (Pedigree digests name their algorithm). */
export const MLFLOW_DIGEST_PREFIX = 'mlflow:';

export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export function toMlflowStatus(status: RunStatus): MlflowRunStatus {
  switch (status) {
    case 'RUNNING':
      return 'RUNNING';
    case 'COMPLETED':
    case 'CACHED':
      return 'FINISHED';
    case 'FAILED':
      return 'FAILED';
    case 'CANCELED':
      return 'KILLED';
    default: {
      const never: never = status;
      throw new Error(`unknown run status ${String(never)}`);
    }
  }
}

export function fromMlflowStatus(status: MlflowRunStatus): RunStatus {
  switch (status) {
    case 'RUNNING':
    case 'SCHEDULED':
      return 'RUNNING';
    case 'FINISHED':
      return 'COMPLETED';
    case 'FAILED':
      return 'FAILED';
    case 'KILLED':
      return 'CANCELED';
    default: {
      const never: never = status;
      throw new Error(`unknown MLflow run status ${String(never)}`);
    }
  }
}

export function mlflowExperimentId(experiment: Pick<ExperimentRow, 'id' | 'name'>): string {
  return experiment.name === DEFAULT_EXPERIMENT_NAME ? DEFAULT_EXPERIMENT_ID : experiment.id;
}

const ms = (date: Date | null | undefined) => (date ? date.getTime() : null);
const pairs = (values: Record<string, unknown>) => Object.entries(values).map(([key, value]) => ({ key, value: String(value) }));

export function experimentShape(experiment: Pick<ExperimentRow, 'id' | 'name'> & { createdAt?: Date | null }) {
  const id = mlflowExperimentId(experiment);
  return {
    experiment_id: id,
    name: experiment.name,
    artifact_location: `mlflow-artifacts:/${id}`,
    lifecycle_stage: 'active',
    creation_time: ms(experiment.createdAt),
    last_update_time: ms(experiment.createdAt),
    tags: [],
  };
}

export function runArtifactUri(experimentId: string, runId: string): string {
  return `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
}

export function runInfoShape(run: RunRow, experimentName: string | null) {
  const experimentId = experimentName === null ? DEFAULT_EXPERIMENT_ID : experimentName === DEFAULT_EXPERIMENT_NAME ? DEFAULT_EXPERIMENT_ID : run.experimentId!;
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: experimentId,
    user_id: run.createdBy ?? '',
    status: toMlflowStatus(run.status),
    start_time: ms(run.startedAt),
    end_time: ms(run.endedAt),
    artifact_uri: runArtifactUri(experimentId, run.id),
    lifecycle_stage: 'active',
  };
}

export function runShape(row: MlflowRunRow) {
  const { run } = row;
  const tags = { ...(JSON.parse(run.tagsJson ?? '{}') as Record<string, string>), 'mlflow.runName': run.name };
  const summary = JSON.parse(run.summaryMetricsJson) as Record<string, number>;
  const endedOrNow = ms(run.endedAt) ?? Date.now();
  return {
    info: runInfoShape(run, row.experimentName),
    data: {
      metrics: Object.entries(summary).map(([key, value]) => ({ key, value, timestamp: endedOrNow, step: 0 })),
      params: pairs(JSON.parse(run.paramsJson) as Record<string, unknown>),
      tags: pairs(tags),
    },
    inputs: {
      dataset_inputs: row.datasets.map((d) => {
        const properties = JSON.parse(d.propertiesJson) as Record<string, unknown>;
        const mlflow = (properties['mlflow'] ?? {}) as Record<string, string | undefined>;
        return {
          tags: d.role === null ? [] : [{ key: 'mlflow.data.context', value: d.role }],
          dataset: {
            name: d.name,
            digest: d.digest.startsWith(MLFLOW_DIGEST_PREFIX) ? d.digest.slice(MLFLOW_DIGEST_PREFIX.length) : d.digest,
            source_type: mlflow['source_type'] ?? 'external',
            source: mlflow['source'] ?? JSON.stringify({ uri: d.uri }),
            ...(d.schemaJson === null ? {} : { schema: mlflow['schema'] ?? d.schemaJson }),
            ...(mlflow['profile'] === undefined ? {} : { profile: mlflow['profile'] }),
          },
        };
      }),
      model_inputs: row.modelInputs.map((model_id) => ({ model_id })),
    },
    outputs: { model_outputs: row.modelOutputs.map((model_id) => ({ model_id, step: 0 })) },
  };
}

/** What the adapter keeps in a logged model's Artifact properties, under these keys. */
export interface LoggedModelProperties {
  readonly 'mlflow.experimentId'?: string;
  readonly 'mlflow.modelType'?: string | null;
  readonly 'mlflow.status'?: string;
  readonly 'mlflow.tags'?: Record<string, string>;
  readonly 'mlflow.params'?: Record<string, string>;
  readonly files?: Record<string, string>;
}

export function loggedModelUri(experimentId: string, modelId: string): string {
  return `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`;
}

export function loggedModelShape(artifact: ArtifactRow, runId: string | null) {
  const p = JSON.parse(artifact.propertiesJson) as LoggedModelProperties;
  const experimentId = p['mlflow.experimentId'] ?? DEFAULT_EXPERIMENT_ID;
  return {
    info: {
      model_id: artifact.id,
      experiment_id: experimentId,
      name: artifact.name,
      artifact_uri: loggedModelUri(experimentId, artifact.id),
      status: p['mlflow.status'] ?? 'LOGGED_MODEL_PENDING',
      creation_timestamp_ms: ms(artifact.createdAt),
      last_updated_timestamp_ms: ms(artifact.createdAt),
      ...(p['mlflow.modelType'] ? { model_type: p['mlflow.modelType'] } : {}),
      ...(runId ? { source_run_id: runId } : {}),
      tags: pairs(p['mlflow.tags'] ?? {}),
    },
    data: { params: pairs(p['mlflow.params'] ?? {}), metrics: [] },
  };
}

export function registeredModelShape(row: RegisteredModelRow) {
  return {
    name: row.model.name,
    creation_timestamp: ms(row.model.createdAt),
    last_updated_timestamp: ms(row.model.createdAt),
    ...(row.model.description ? { description: row.model.description } : {}),
    aliases: row.aliases.map((a) => ({ alias: a.alias, version: String(a.version) })),
    tags: [],
  };
}

export function bareRegisteredModelShape(model: ModelRow) {
  return registeredModelShape({ model, aliases: [], latest: null });
}

export function modelVersionShape(row: RegistryVersionRow) {
  const { version } = row;
  const source = row.sourceId?.startsWith('art_') ? `models:/${row.sourceId}` : (row.sourceUri ?? (row.runId ? `runs:/${row.runId}/model` : ''));
  return {
    name: row.modelName,
    version: String(version.number),
    creation_timestamp: ms(version.createdAt),
    last_updated_timestamp: ms(version.createdAt),
    user_id: version.createdBy ?? '',
    current_stage: 'None',
    ...(version.description ? { description: version.description } : {}),
    source,
    ...(row.runId ? { run_id: row.runId } : {}),
    ...(row.sourceId?.startsWith('art_') ? { model_id: row.sourceId } : {}),
    status: 'READY',
    tags: [],
    aliases: row.aliases,
  };
}
