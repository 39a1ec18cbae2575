/**
 * Reads in the shapes the MLflow adapter answers with (src/ingest/mlflow): runs with their
 * experiment, inputs and model outputs; experiments; logged models (Artifacts of type
 * `model`); registered models and their versions with sources and aliases. Every query is
 * scoped to one project by a `projectId` parameter.
 */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow, toPlain } from '../values.ts';
import type { ArtifactRow, ExperimentRow, ModelRow, ModelVersionRow, ProjectRow, RunRow } from '../../domain/rows.ts';
import { SERIES_CHUNKS, seriesPoints } from './runs.ts';

export async function projectByIdOrName(tx: Tx, ref: string): Promise<ProjectRow | null> {
  const [record] = await tx.run('MATCH (p:Project) WHERE p.id = $ref OR p.name = $ref RETURN p ORDER BY p.id = $ref DESC LIMIT 1', { ref });
  return record ? nodeRow<ProjectRow>(record.get('p') as Node) : null;
}

export async function experimentsByIdOrName(tx: Tx, projectId: string, by: { ids?: readonly string[]; names?: readonly string[] }): Promise<ExperimentRow[]> {
  const records = await tx.run(
    'MATCH (e:Experiment {projectId: $projectId}) WHERE e.id IN $ids OR e.name IN $names RETURN e ORDER BY e.id',
    { projectId, ids: by.ids ?? [], names: by.names ?? [] },
  );
  return records.map((r) => nodeRow<ExperimentRow>(r.get('e') as Node));
}

/** The project's experiments, oldest first, from `skip`. */
export async function experimentPage(tx: Tx, projectId: string, skip: number, limit: number): Promise<ExperimentRow[]> {
  const records = await tx.run('MATCH (e:Experiment {projectId: $projectId}) RETURN e ORDER BY e.id SKIP $skip LIMIT $limit', {
    projectId,
    skip: neo4j.int(skip),
    limit: neo4j.int(limit),
  });
  return records.map((r) => nodeRow<ExperimentRow>(r.get('e') as Node));
}

export interface DatasetInputRow {
  readonly name: string;
  readonly digest: string;
  readonly uri: string;
  readonly schemaJson: string | null;
  readonly propertiesJson: string;
  readonly role: string | null;
}

export interface MlflowRunRow {
  readonly run: RunRow;
  readonly experimentName: string | null;
  readonly datasets: DatasetInputRow[];
  /** Artifacts the run USED (model inputs). */
  readonly modelInputs: string[];
  /** Model artifacts GENERATED_BY the run. */
  readonly modelOutputs: string[];
}

/** The project's runs among `ids`, in the order given (missing ones left out). */
export async function mlflowRuns(tx: Tx, projectId: string, ids: readonly string[]): Promise<MlflowRunRow[]> {
  const records = await tx.run(
    `UNWIND range(0, size($ids) - 1) AS i
     MATCH (r:Run {id: $ids[i]}) WHERE r.projectId = $projectId
     OPTIONAL MATCH (r)-[:PART_OF]->(e:Experiment)
     CALL (r) {
       OPTIONAL MATCH (r)-[u:USED]->(v:DatasetVersion)-[:VERSION_OF]->(d:Dataset)
       RETURN collect(CASE WHEN v IS NULL THEN null ELSE {name: d.name, digest: v.digest, uri: v.uri, schemaJson: v.schemaJson, propertiesJson: v.propertiesJson, role: u.role} END) AS datasets
     }
     CALL (r) {
       OPTIONAL MATCH (r)-[:USED]->(a:Artifact)
       RETURN collect(a.id) AS modelInputs
     }
     CALL (r) {
       OPTIONAL MATCH (r)<-[:GENERATED_BY]-(a:Artifact {type: 'model'})
       RETURN collect(a.id) AS modelOutputs
     }
     RETURN i, r, e.name AS experimentName, datasets, modelInputs, modelOutputs ORDER BY i`,
    { projectId, ids },
  );
  return records.map((rec) => ({
    run: nodeRow<RunRow>(rec.get('r') as Node),
    experimentName: rec.get('experimentName') as string | null,
    datasets: toPlain(rec.get('datasets')) as DatasetInputRow[],
    modelInputs: rec.get('modelInputs') as string[],
    modelOutputs: rec.get('modelOutputs') as string[],
  }));
}

/** Ids of the project's runs in the experiments (by id), newest first. */
export async function runIdsOfExperiments(tx: Tx, projectId: string, experimentIds: readonly string[]): Promise<string[]> {
  const records = await tx.run(
    // A predicate on each property of run_experiment_started_id, or the planner scans every run.
    `MATCH (r:Run) WHERE r.experimentId IN $experimentIds AND r.startedAt IS NOT NULL AND r.id IS NOT NULL AND r.projectId = $projectId
     RETURN r.id AS id ORDER BY r.startedAt DESC, r.id DESC`,
    { projectId, experimentIds },
  );
  return records.map((r) => r.get('id') as string);
}

export interface MetricHistoryRow {
  readonly steps: number[];
  readonly values: number[];
  readonly timestamps: Date[];
}

export async function metricHistory(tx: Tx, runId: string, key: string): Promise<MetricHistoryRow | null> {
  const [record] = await tx.run(`MATCH (s:MetricSeries {runId: $runId, key: $key}) RETURN s, ${SERIES_CHUNKS} AS chunks`, { runId, key });
  return record ? seriesPoints<MetricHistoryRow>(record.get('s') as Node, record.get('chunks') as Node[]) : null;
}

export interface LoggedModelRow {
  readonly artifact: ArtifactRow;
  readonly runId: string | null;
}

/** The project's model artifacts among `ids`, with the run that generated each. */
export async function loggedModels(tx: Tx, projectId: string, ids: readonly string[]): Promise<LoggedModelRow[]> {
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (a:Artifact {id: id}) WHERE a.projectId = $projectId AND a.type = 'model'
     OPTIONAL MATCH (a)-[:GENERATED_BY]->(r:Run)
     WITH a, min(r.id) AS runId
     RETURN a, runId`,
    { projectId, ids },
  );
  return records.map((rec) => ({ artifact: nodeRow<ArtifactRow>(rec.get('a') as Node), runId: rec.get('runId') as string | null }));
}

/** Ids of the project's model artifacts, newest first. */
export async function loggedModelIds(tx: Tx, projectId: string): Promise<string[]> {
  const records = await tx.run(
    "MATCH (a:Artifact {projectId: $projectId}) WHERE a.type = 'model' RETURN a.id AS id ORDER BY a.createdAt DESC, a.id DESC",
    { projectId },
  );
  return records.map((r) => r.get('id') as string);
}

export interface RegistryVersionRow {
  readonly version: ModelVersionRow;
  readonly modelName: string;
  readonly aliases: string[];
  /** The Artifact, Checkpoint or Run it was registered from. */
  readonly sourceId: string | null;
  readonly sourceUri: string | null;
  /** The run behind the source (the source itself, or the run that generated it). */
  readonly runId: string | null;
}

const VERSION_DETAILS = `
     OPTIONAL MATCH (v)-[:DERIVED_FROM|GENERATED_BY]->(s:LineageNode)
     OPTIONAL MATCH (s)-[:GENERATED_BY]->(sr:Run)
     WITH m, v, s, CASE WHEN s:Run THEN s.id ELSE min(sr.id) END AS runId
     OPTIONAL MATCH (a:Alias {modelId: m.id, versionId: v.id})
     WITH m, v, s, runId, collect(a.name) AS aliases
     RETURN v, m.name AS modelName, aliases, s.id AS sourceId, s.uri AS sourceUri, runId`;

function versionRows(records: Awaited<ReturnType<Tx['run']>>): RegistryVersionRow[] {
  return records.map((rec) => ({
    version: nodeRow<ModelVersionRow>(rec.get('v') as Node),
    modelName: rec.get('modelName') as string,
    aliases: rec.get('aliases') as string[],
    sourceId: rec.get('sourceId') as string | null,
    sourceUri: rec.get('sourceUri') as string | null,
    runId: rec.get('runId') as string | null,
  }));
}

/** Versions of the project's model `name`: all (newest first), or those with the given numbers. */
export async function registryVersions(tx: Tx, projectId: string, name: string, numbers: readonly number[] | null): Promise<RegistryVersionRow[]> {
  const records = await tx.run(
    `MATCH (m:Model {projectId: $projectId, name: $name})<-[:VERSION_OF]-(v:ModelVersion)
     WHERE $numbers IS NULL OR v.number IN $numbers
     ${VERSION_DETAILS}
     ORDER BY v.number DESC`,
    { projectId, name, numbers: numbers === null ? null : numbers.map((n) => neo4j.int(n)) },
  );
  return versionRows(records);
}

/** The version an alias of the project's model `name` points at. */
export async function registryVersionByAlias(tx: Tx, projectId: string, name: string, alias: string): Promise<RegistryVersionRow | null> {
  const records = await tx.run(
    `MATCH (m:Model {projectId: $projectId, name: $name})<-[:OF]-(:Alias {name: $alias})-[:POINTS_TO]->(v:ModelVersion)
     ${VERSION_DETAILS}`,
    { projectId, name, alias },
  );
  return versionRows(records)[0] ?? null;
}

export interface RegisteredModelRow {
  readonly model: ModelRow;
  readonly aliases: { alias: string; version: number }[];
  readonly latest: number | null;
}

/** The project's models by name (all of them when `names` is null), by name. */
export async function registeredModels(tx: Tx, projectId: string, names: readonly string[] | null): Promise<RegisteredModelRow[]> {
  const records = await tx.run(
    `MATCH (m:Model {projectId: $projectId}) WHERE $names IS NULL OR m.name IN $names
     CALL (m) {
       OPTIONAL MATCH (m)<-[:OF]-(a:Alias)-[:POINTS_TO]->(v:ModelVersion)
       RETURN collect(CASE WHEN a IS NULL THEN null ELSE {alias: a.name, version: v.number} END) AS aliases
     }
     CALL (m) {
       OPTIONAL MATCH (m)<-[:VERSION_OF]-(v:ModelVersion)
       RETURN max(v.number) AS latest
     }
     RETURN m, aliases, latest ORDER BY m.name`,
    { projectId, names },
  );
  return records.map((rec) => ({
    model: nodeRow<ModelRow>(rec.get('m') as Node),
    aliases: toPlain(rec.get('aliases')) as { alias: string; version: number }[],
    latest: rec.get('latest') as number | null,
  }));
}
