/**
 * The Cypher of recordLineage: every statement is set-based (one UNWIND over all rows of a
 * kind), so a 10,000-element batch costs a fixed number of statements, not one per element.
 * Labels and relationship types come from the allow-lists below, never from input.
 */
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import type { ArtifactRow, CheckpointRow, DatasetVersionRow, ModelVersionRow, RunRow } from '../../domain/rows.ts';

/** Every statement here finds its nodes by key: each keeps its plan once made (src/neo4j/plans.ts). */
function run(tx: Tx, query: string, params: Record<string, unknown>) {
  return tx.run(pinned(query), params);
}

/** Lineage nodes of the project that already carry one of these externalIds. */
export async function nodesByExternalId(
  tx: Tx,
  projectId: string,
  externalIds: readonly string[],
): Promise<Map<string, { id: string; label: string }>> {
  if (externalIds.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $externalIds AS externalId
     MATCH (n:LineageNode {projectId: $projectId, externalId: externalId}) USING INDEX SEEK n:LineageNode(projectId, externalId)
     RETURN externalId, n.id AS id, [l IN labels(n) WHERE NOT l IN ['LineageNode', 'Quarantined']][0] AS label`,
    { projectId, externalIds },
  );
  return new Map(records.map((r) => [r.get('externalId') as string, { id: r.get('id') as string, label: r.get('label') as string }]));
}

/** Parents whose `nextNumber` numbers their versions. */
export type VersionedLabel = 'Dataset' | 'Model';
const VERSIONED: readonly VersionedLabel[] = ['Dataset', 'Model'];

export interface LockedParent {
  readonly id: string;
  /** The number the parent's next version gets. */
  readonly nextNumber: number;
  /** The id of its newest version (number nextNumber - 1), null when it has none. */
  readonly latestVersionId: string | null;
}

/**
 * Takes the write lock of each named dataset or model (held until commit), creating the
 * missing ones, and returns them by name. Existing parents are locked by MATCH + SET in name
 * order, so two batches never wait on each other in opposite orders; missing ones are created
 * under the project's lock, so concurrent first uses serialize instead of deadlocking on the
 * (projectId, name) index entry. A single-version mutation that creates the same parent
 * concurrently makes this fail on the constraint; the caller runs the unit again.
 */
export async function lockParents(
  tx: Tx,
  label: VersionedLabel,
  input: { projectId: string; parents: readonly { name: string; newId: string }[]; createdBy: string | null },
): Promise<Map<string, LockedParent>> {
  if (!VERSIONED.includes(label)) throw new Error(`${label} has no versions`);
  const version = label === 'Dataset' ? 'DatasetVersion' : 'ModelVersion';
  const parentKey = label === 'Dataset' ? 'datasetId' : 'modelId';
  const names = input.parents.map((p) => p.name).sort();
  const locked = await run(tx,
    `UNWIND $names AS name
     MATCH (p:${label} {projectId: $projectId, name: name})
     SET p._lock = true REMOVE p._lock
     RETURN name`,
    { projectId: input.projectId, names },
  );
  const found = new Set(locked.map((r) => r.get('name') as string));
  const missing = input.parents.filter((p) => !found.has(p.name)).map((p) => ({ name: p.name, id: p.newId }));
  if (missing.length > 0) {
    await run(tx,
      `MATCH (project:Project {id: $projectId}) SET project._lock = true REMOVE project._lock
       WITH project
       UNWIND $missing AS m
       MERGE (p:${label} {projectId: $projectId, name: m.name})
       ON CREATE SET p.id = m.id, p.description = null, p.nextNumber = 1, p.createdAt = datetime(), p.createdBy = $createdBy
       SET p._lock = true REMOVE p._lock`,
      { projectId: input.projectId, missing, createdBy: input.createdBy },
    );
  }
  const records = await run(tx,
    `UNWIND $names AS name
     MATCH (p:${label} {projectId: $projectId, name: name})
     OPTIONAL MATCH (latest:${version} {${parentKey}: p.id, number: p.nextNumber - 1})
     RETURN name, p.id AS id, p.nextNumber AS nextNumber, latest.id AS latestVersionId`,
    { projectId: input.projectId, names },
  );
  return new Map(
    records.map((r) => [
      r.get('name') as string,
      { id: r.get('id') as string, nextNumber: r.get('nextNumber') as number, latestVersionId: (r.get('latestVersionId') as string | null) ?? null },
    ]),
  );
}

/** Hands out `count` numbers of each parent (the caller holds its lock). */
export async function advanceNextNumbers(tx: Tx, label: VersionedLabel, counts: readonly { id: string; count: number }[]): Promise<void> {
  if (!VERSIONED.includes(label)) throw new Error(`${label} has no versions`);
  if (counts.length === 0) return;
  await run(tx,
    `UNWIND $counts AS c
     MATCH (p:${label} {id: c.id})
     SET p.nextNumber = p.nextNumber + toInteger(c.count)`,
    { counts },
  );
}

/** For each (i, datasetId, digest, label): the version with that digest, and the one with that label. */
export async function datasetVersionMatches(
  tx: Tx,
  items: readonly { i: number; datasetId: string; digest: string; label: string | null }[],
): Promise<Map<number, { sameDigestId: string | null; sameLabelId: string | null }>> {
  if (items.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $items AS item
     OPTIONAL MATCH (same:DatasetVersion {datasetId: item.datasetId, digest: item.digest})
     OPTIONAL MATCH (labelled:DatasetVersion {datasetId: item.datasetId, label: item.label})
     RETURN item.i AS i, same.id AS sameDigestId, labelled.id AS sameLabelId`,
    { items },
  );
  return new Map(
    records.map((r) => [
      r.get('i') as number,
      { sameDigestId: (r.get('sameDigestId') as string | null) ?? null, sameLabelId: (r.get('sameLabelId') as string | null) ?? null },
    ]),
  );
}

/** The run already holding each idempotency key, by key. */
export async function runsByIdempotencyKey(tx: Tx, projectId: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $keys AS key
     MATCH (r:Run {projectId: $projectId, idempotencyKey: key})
     RETURN key, r.id AS id`,
    { projectId, keys },
  );
  return new Map(records.map((r) => [r.get('key') as string, r.get('id') as string]));
}

/** The artifact already holding each (type, name, digest), by item index. */
export async function artifactsByDigest(
  tx: Tx,
  projectId: string,
  items: readonly { i: number; type: string; name: string; digest: string }[],
): Promise<Map<number, string>> {
  if (items.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $items AS item
     MATCH (a:Artifact {projectId: $projectId, type: item.type, name: item.name, digest: item.digest})
     RETURN item.i AS i, a.id AS id`,
    { projectId, items },
  );
  return new Map(records.map((r) => [r.get('i') as number, r.get('id') as string]));
}

/** The checkpoint already at each (run, step), by item index. */
export async function checkpointsByStep(tx: Tx, items: readonly { i: number; runId: string; step: number }[]): Promise<Map<number, string>> {
  if (items.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $items AS item
     MATCH (c:Checkpoint {runId: item.runId, step: toInteger(item.step)})
     RETURN item.i AS i, c.id AS id`,
    { items },
  );
  return new Map(records.map((r) => [r.get('i') as number, r.get('id') as string]));
}

/** Names of runs by id (for event payloads). */
export async function runNames(tx: Tx, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const records = await run(tx, 'UNWIND $ids AS id MATCH (r:Run {id: id}) RETURN id, r.name AS name', { ids });
  return new Map(records.map((r) => [r.get('id') as string, r.get('name') as string]));
}

/** For each (i, modelId, semver): the version that already has the semver. */
export async function modelVersionsBySemver(tx: Tx, items: readonly { i: number; modelId: string; semver: string }[]): Promise<Map<number, string>> {
  if (items.length === 0) return new Map();
  const records = await run(tx,
    `UNWIND $items AS item
     MATCH (v:ModelVersion {modelId: item.modelId, semver: item.semver})
     RETURN item.i AS i, v.id AS id`,
    { items },
  );
  return new Map(records.map((r) => [r.get('i') as number, r.get('id') as string]));
}

interface Stamp {
  readonly id: string;
  readonly externalId: string | null;
}

export type BatchDatasetVersion = Stamp &
  Pick<DatasetVersionRow, 'datasetId' | 'number' | 'label' | 'digest' | 'uri' | 'sizeBytes' | 'recordCount' | 'schemaJson' | 'propertiesJson'>;

export type BatchRun = Stamp &
  Pick<RunRow, 'name' | 'type' | 'status' | 'paramsJson' | 'codeJson' | 'environmentJson' | 'fingerprint' | 'idempotencyKey' | 'parentId'> & {
    /** Experiment name, created on first use with experimentId (null without an experiment). */
    readonly experiment: string | null;
    readonly experimentId: string | null;
    /** Flattened params and search version (src/domain/search-params.ts). */
    readonly searchProps: Record<string, string | number>;
  };

export type BatchCheckpoint = Stamp & Pick<CheckpointRow, 'runId' | 'step' | 'epoch' | 'uri' | 'digest' | 'sizeBytes' | 'metricsJson'>;

export type BatchArtifact = Stamp & Pick<ArtifactRow, 'type' | 'name' | 'uri' | 'digest' | 'propertiesJson'>;

export type BatchModelVersion = Stamp & Pick<ModelVersionRow, 'modelId' | 'number' | 'semver' | 'description' | 'metricsJson'>;

export interface BatchNodes {
  readonly datasetVersions: readonly BatchDatasetVersion[];
  readonly runs: readonly BatchRun[];
  readonly checkpoints: readonly BatchCheckpoint[];
  readonly artifacts: readonly BatchArtifact[];
  readonly modelVersions: readonly BatchModelVersion[];
}

/**
 * Creates the batch's new nodes with their structural relationships: one statement per kind,
 * all sent before the first answer (Neo4j runs a transaction's statements in the order sent, so
 * each still sees the nodes of those before it), while the gateway packs the next one Neo4j runs
 * the one before. Sends every statement synchronously, before its first await: a caller may send
 * statements that need these nodes right behind them (writeBatch sends the edges).
 */
export async function createBatchNodes(tx: Tx, scope: { projectId: string; createdBy: string | null }, nodes: BatchNodes): Promise<void> {
  const { datasetVersions, runs, checkpoints, artifacts, modelVersions } = nodes;
  const sent: Promise<unknown>[] = [];
  if (datasetVersions.length > 0) {
    sent.push(run(tx,
      `UNWIND $rows AS row
       MATCH (d:Dataset {id: row.datasetId})
       CREATE (v:DatasetVersion:LineageNode {
         id: row.id, projectId: $projectId, datasetId: row.datasetId, number: toInteger(row.number), label: row.label,
         digest: row.digest, uri: row.uri, sizeBytes: row.sizeBytes, recordCount: row.recordCount,
         schemaJson: row.schemaJson, propertiesJson: row.propertiesJson, externalId: row.externalId,
         createdAt: datetime(), createdBy: $createdBy
       })-[:VERSION_OF]->(d)`,
      { ...scope, rows: datasetVersions },
    ));
  }
  if (runs.length > 0) {
    sent.push(run(tx,
      `UNWIND $rows AS row
       CREATE (r:Run:LineageNode {
         id: row.id, projectId: $projectId, createdBy: $createdBy, externalId: row.externalId,
         name: row.name, type: row.type, status: row.status, paramsJson: row.paramsJson,
         codeJson: row.codeJson, environmentJson: row.environmentJson, summaryMetricsJson: '{}',
         fingerprint: row.fingerprint, idempotencyKey: row.idempotencyKey, parentId: row.parentId,
         createdAt: datetime(), startedAt: datetime(),
         endedAt: CASE WHEN row.status = 'RUNNING' THEN null ELSE datetime() END
       })
       SET r += row.searchProps`,
      { ...scope, rows: runs },
    ));
    const withExperiment = runs.filter((r) => r.experiment !== null).map((r) => ({ id: r.id, name: r.experiment, experimentId: r.experimentId }));
    if (withExperiment.length > 0) {
      sent.push(run(tx,
        `UNWIND $rows AS row
         MERGE (e:Experiment {projectId: $projectId, name: row.name})
         ON CREATE SET e.id = row.experimentId, e.createdAt = datetime(), e.createdBy = $createdBy
         WITH row, e
         MATCH (r:Run {id: row.id})
         CREATE (r)-[:PART_OF]->(e)
         SET r.experimentId = e.id`,
        { ...scope, rows: withExperiment },
      ));
    }
    const withParent = runs.filter((r) => r.parentId !== null);
    if (withParent.length > 0) {
      sent.push(run(tx, 'UNWIND $rows AS row MATCH (r:Run {id: row.id}), (p:Run {id: row.parentId}) CREATE (r)-[:CHILD_OF]->(p)', { rows: withParent }));
    }
  }
  if (artifacts.length > 0) {
    sent.push(run(tx,
      `UNWIND $rows AS row
       CREATE (:Artifact:LineageNode {
         id: row.id, projectId: $projectId, type: row.type, name: row.name, uri: row.uri, digest: row.digest,
         propertiesJson: row.propertiesJson, externalId: row.externalId, createdAt: datetime(), createdBy: $createdBy
       })`,
      { ...scope, rows: artifacts },
    ));
  }
  if (checkpoints.length > 0) {
    sent.push(run(tx,
      `UNWIND $rows AS row
       CREATE (:Checkpoint:LineageNode {
         id: row.id, projectId: $projectId, runId: row.runId, step: toInteger(row.step),
         epoch: CASE WHEN row.epoch IS NULL THEN null ELSE toInteger(row.epoch) END,
         uri: row.uri, digest: row.digest, sizeBytes: row.sizeBytes, metricsJson: row.metricsJson,
         retention: 'RETAINED', deletedAt: null, externalId: row.externalId, createdAt: datetime(), createdBy: $createdBy
       })`,
      { ...scope, rows: checkpoints },
    ));
  }
  if (modelVersions.length > 0) {
    sent.push(run(tx,
      `UNWIND $rows AS row
       MATCH (m:Model {id: row.modelId})
       CREATE (:ModelVersion:LineageNode {
         id: row.id, projectId: $projectId, modelId: row.modelId, number: toInteger(row.number), semver: row.semver,
         description: row.description, status: 'REGISTERED', metricsJson: row.metricsJson,
         externalId: row.externalId, createdAt: datetime(), createdBy: $createdBy
       })-[:VERSION_OF]->(m)`,
      { ...scope, rows: modelVersions },
    ));
  }
  await Promise.all(sent);
}

export type LineageEdgeKind = 'USED' | 'GENERATED_BY' | 'DERIVED_FROM';
const EDGE_KINDS: readonly LineageEdgeKind[] = ['USED', 'GENERATED_BY', 'DERIVED_FROM'];

/**
 * Creates each lineage edge of `kind` unless the same edge (same ends, same role) exists, so
 * re-sending a batch adds nothing. Returns how many were created. The rows must be distinct.
 */
export async function createLineageEdges(
  tx: Tx,
  kind: LineageEdgeKind,
  edges: readonly { from: string; to: string; role: string | null }[],
  /** True when every `from` was created in this transaction: then no such edge can exist yet. */
  fromNewNodes = false,
): Promise<number> {
  if (!EDGE_KINDS.includes(kind)) throw new Error(`${kind} is not a lineage edge kind`);
  if (edges.length === 0) return 0;
  const [record] = await run(tx,
    `UNWIND $edges AS e
     MATCH (a:LineageNode {id: e.from}) USING INDEX SEEK a:LineageNode(id)
     MATCH (b:LineageNode {id: e.to}) USING INDEX SEEK b:LineageNode(id)
     ${fromNewNodes ? '' : `WHERE NOT EXISTS { MATCH (a)-[r:${kind}]->(b) WHERE coalesce(r.role, '') = coalesce(e.role, '') }`}
     CREATE (a)-[:${kind} {role: e.role, createdAt: datetime()}]->(b)
     RETURN count(*) AS created`,
    { edges },
  );
  return (record?.get('created') as number | undefined) ?? 0;
}
