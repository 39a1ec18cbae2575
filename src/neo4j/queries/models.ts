/**
 * Models, model versions and aliases: the Cypher of the model registry. Writes run inside a
 * unit of work that first takes the model's write lock (`lockModel`/`mergeModelForVersion`),
 * so version numbers, alias moves and deployments of one model are serialized.
 */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow, toPlain } from '../values.ts';
import { composeEvents, type NewEvent } from './event-append.ts';
import { headersCypher, headersFrom, type NodeHeaders } from './nodes.ts';
import type { CheckpointRow, ModelRow, ModelVersionRow, ModelVersionStatus, RunRow } from '../../domain/rows.ts';

/**
 * Creates the model on first use and allocates the next version number under its write lock,
 * held until commit: numbers are gap-free under concurrency. The lock is taken by a write
 * before `nextNumber` is read (a plain `SET n.x = n.x + 1` may read before it locks). First
 * creations serialize on the project's lock, so concurrent first registrations do not
 * deadlock on the (projectId, name) index entry. An existing model costs one statement.
 */
export async function mergeModelForVersion(
  tx: Tx,
  input: { id: string; projectId: string; name: string; actor: string | null },
  headerIds: readonly string[],
): Promise<{ model: ModelRow; number: number; previousId: string | null; headers: NodeHeaders } | null> {
  const headers = headersCypher(headerIds);
  // Under the model's lock every version numbered below `number` has committed: the one just
  // below is the new version's previous one.
  const allocate = `WITH m SET m._lock = true REMOVE m._lock
     WITH m, m.nextNumber AS number
     SET m.nextNumber = number + 1
     WITH m, number
     OPTIONAL MATCH (previous:ModelVersion {modelId: m.id, number: number - 1})
     WITH m, number, previous.id AS previousId
     ${headers.cypher}
     RETURN m, number, previousId, headers`;
  const params = { ...input, ...headers.params };
  let [record] = await tx.run(`MATCH (m:Model {projectId: $projectId, name: $name}) ${allocate}`, params);
  record ??= (
    await tx.run(
      `MATCH (p:Project {id: $projectId}) SET p._lock = true REMOVE p._lock
       MERGE (m:Model {projectId: $projectId, name: $name})
       ON CREATE SET m.id = $id, m.description = null, m.nextNumber = 1, m.createdAt = datetime(), m.createdBy = $actor
       ${allocate}`,
      params,
    )
  )[0];
  // No project: nothing was written; the caller reports it like its project check would.
  if (!record) return null;
  return {
    model: nodeRow<ModelRow>(record.get('m') as Node),
    number: record.get('number') as number,
    previousId: (record.get('previousId') as string | null) ?? null,
    headers: headersFrom(record),
  };
}

/** Creates the model (serialized on the project's lock, like first registrations), or returns the one of that name. */
export async function mergeModel(
  tx: Tx,
  input: { id: string; projectId: string; name: string; description: string | null; actor: string | null },
): Promise<{ model: ModelRow; created: boolean }> {
  const [record] = await tx.run(
    `MATCH (p:Project {id: $projectId}) SET p._lock = true REMOVE p._lock
     MERGE (m:Model {projectId: $projectId, name: $name})
     ON CREATE SET m.id = $id, m.description = $description, m.nextNumber = 1, m.createdAt = datetime(), m.createdBy = $actor
     RETURN m, m.id = $id AS created`,
    input,
  );
  return { model: nodeRow<ModelRow>(record!.get('m') as Node), created: record!.get('created') as boolean };
}

/** Takes the model's write lock (held until commit); null when there is no such model. */
export async function lockModel(tx: Tx, modelId: string): Promise<ModelRow | null> {
  const [record] = await tx.run('MATCH (m:Model {id: $modelId}) SET m._lock = true REMOVE m._lock RETURN m', { modelId });
  return record ? nodeRow<ModelRow>(record.get('m') as Node) : null;
}

export async function versionIdBySemver(tx: Tx, modelId: string, semver: string): Promise<string | null> {
  const [record] = await tx.run('MATCH (v:ModelVersion {modelId: $modelId, semver: $semver}) RETURN v.id AS id', { modelId, semver });
  return (record?.get('id') as string | undefined) ?? null;
}

export async function versionById(tx: Tx, id: string): Promise<ModelVersionRow | null> {
  const [record] = await tx.run('MATCH (v:ModelVersion {id: $id}) RETURN v', { id });
  return record ? nodeRow<ModelVersionRow>(record.get('v') as Node) : null;
}

/**
 * Creates the version, VERSION_OF its model, and its lineage edge to the source, with `events`
 * (composeEvents: then the unit's last statement); returns it.
 */
export async function createModelVersion(
  tx: Tx,
  input: {
    id: string;
    projectId: string;
    modelId: string;
    number: number;
    semver: string | null;
    description: string | null;
    metricsJson: string;
    actor: string | null;
    sourceId: string;
    sourceLabel: 'Checkpoint' | 'Run' | 'Artifact';
  },
  events: readonly NewEvent[],
): Promise<ModelVersionRow> {
  const composed = composeEvents(tx, events);
  const edge = {
    Checkpoint: 'MATCH (s:Checkpoint {id: $sourceId}) CREATE (v)-[:DERIVED_FROM {createdAt: v.createdAt}]->(s)',
    Artifact: 'MATCH (s:Artifact {id: $sourceId}) CREATE (v)-[:DERIVED_FROM {createdAt: v.createdAt}]->(s)',
    Run: "MATCH (s:Run {id: $sourceId}) CREATE (v)-[:GENERATED_BY {role: 'model', createdAt: v.createdAt}]->(s)",
  }[input.sourceLabel];
  const [record] = await tx.run(
    `MATCH (m:Model {id: $modelId})
     CREATE (v:ModelVersion:LineageNode {
       id: $id, projectId: $projectId, modelId: $modelId, number: toInteger($number), semver: $semver,
       description: $description, status: 'REGISTERED', metricsJson: $metricsJson,
       createdAt: datetime(), createdBy: $actor, externalId: null
     })-[:VERSION_OF]->(m)
     WITH v
     ${edge}
     WITH v
     ${composed.cypher}
     RETURN v, ${composed.columns}`,
    { ...input, ...composed.params },
  );
  composed.answered(record);
  return nodeRow<ModelVersionRow>(record!.get('v') as Node);
}

export async function setVersionStatus(tx: Tx, id: string, status: ModelVersionStatus): Promise<ModelVersionRow> {
  const [record] = await tx.run('MATCH (v:ModelVersion {id: $id}) SET v.status = $status RETURN v', { id, status });
  return nodeRow<ModelVersionRow>(record!.get('v') as Node);
}

/** The version an alias points at now, null when the alias does not exist yet. */
export async function aliasTarget(tx: Tx, modelId: string, alias: string): Promise<string | null> {
  const [record] = await tx.run('MATCH (a:Alias {modelId: $modelId, name: $alias}) RETURN a.versionId AS id', { modelId, alias });
  return (record?.get('id') as string | undefined) ?? null;
}

/** Points the alias at the version (creating it on first use) and records the move. */
export async function moveAlias(
  tx: Tx,
  input: { modelId: string; alias: string; fromId: string | null; toId: string; actor: string | null },
): Promise<void> {
  await tx.run(
    `MATCH (m:Model {id: $modelId})
     MATCH (to:ModelVersion {id: $toId})
     MERGE (a:Alias {modelId: $modelId, name: $alias})
     MERGE (a)-[:OF]->(m)
     SET a.versionId = $toId, a.updatedAt = datetime(), a.updatedBy = $actor
     WITH a, to
     OPTIONAL MATCH (a)-[old:POINTS_TO]->()
     DELETE old
     WITH DISTINCT a, to
     CREATE (a)-[:POINTS_TO]->(to)
     CREATE (a)-[:MOVED]->(:AliasMove {modelId: $modelId, alias: $alias, fromId: $fromId, toId: $toId, at: datetime(), by: $actor})`,
    input,
  );
}

/**
 * Removes the alias's target and records the removal as a move to nothing (`toId` null). The
 * Alias node stays, with `versionId` null and no POINTS_TO, so its history survives and setting
 * the alias again continues it (from null).
 */
export async function removeAlias(tx: Tx, input: { modelId: string; alias: string; fromId: string; actor: string | null }): Promise<void> {
  await tx.run(
    `MATCH (a:Alias {modelId: $modelId, name: $alias})-[old:POINTS_TO]->()
     DELETE old
     WITH DISTINCT a
     SET a.versionId = null, a.updatedAt = datetime(), a.updatedBy = $actor
     CREATE (a)-[:MOVED]->(:AliasMove {modelId: $modelId, alias: $alias, fromId: $fromId, toId: null, at: datetime(), by: $actor})`,
    input,
  );
}

// ------------------------------------------------------------------ batched reads (loaders)

export interface ModelKey {
  readonly projectId: string;
  readonly name: string;
}

/** Models by (project, name), aligned with the keys; null where none. */
export async function modelsByName(tx: Tx, keys: readonly ModelKey[]): Promise<(ModelRow | null)[]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     MATCH (m:Model {projectId: $keys[i].projectId, name: $keys[i].name})
     RETURN i, m`,
    { keys },
  );
  const out: (ModelRow | null)[] = keys.map(() => null);
  for (const r of records) out[r.get('i') as number] = nodeRow<ModelRow>(r.get('m') as Node);
  return out;
}

export interface PageKey {
  readonly parentId: string;
  /** Rows to return plus one, to tell whether there is a next page. */
  readonly limit: number;
  readonly after: string | number | null;
}

/** Models of each project by name, after the cursor name. */
export async function modelsPage(tx: Tx, keys: readonly PageKey[]): Promise<ModelRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     OPTIONAL MATCH (m:Model {projectId: k.parentId}) WHERE k.after IS NULL OR m.name > k.after
     WITH i, k, m ORDER BY m.name
     WITH i, toInteger(k.limit) AS lim, collect(m) AS all
     RETURN i, all[0..lim] AS rows`,
    { keys },
  );
  return byIndex(keys.length, records, (n) => nodeRow<ModelRow>(n));
}

/** Versions of each model, newest first, below the cursor number. */
export async function versionsPage(tx: Tx, keys: readonly PageKey[]): Promise<ModelVersionRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     OPTIONAL MATCH (v:ModelVersion {modelId: k.parentId}) WHERE k.after IS NULL OR v.number < k.after
     WITH i, k, v ORDER BY v.number DESC
     WITH i, toInteger(k.limit) AS lim, collect(v) AS all
     RETURN i, all[0..lim] AS rows`,
    { keys },
  );
  return byIndex(keys.length, records, (n) => nodeRow<ModelVersionRow>(n));
}

function byIndex<T>(size: number, records: Awaited<ReturnType<Tx['run']>>, map: (node: Node) => T): T[][] {
  const out: T[][] = Array.from({ length: size }, () => []);
  for (const r of records) out[r.get('i') as number] = (r.get('rows') as Node[]).map(map);
  return out;
}

export async function latestVersions(tx: Tx, modelIds: readonly string[]): Promise<Array<[string, ModelVersionRow]>> {
  const records = await tx.run(
    `UNWIND $modelIds AS modelId
     MATCH (m:Model {id: modelId})
     MATCH (v:ModelVersion {modelId: modelId, number: m.nextNumber - 1})
     RETURN modelId, v`,
    { modelIds },
  );
  return records.map((r) => [r.get('modelId') as string, nodeRow<ModelVersionRow>(r.get('v') as Node)]);
}

export async function versionsByNumber(tx: Tx, keys: readonly { modelId: string; number: number }[]): Promise<(ModelVersionRow | null)[]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     MATCH (v:ModelVersion {modelId: $keys[i].modelId, number: toInteger($keys[i].number)})
     RETURN i, v`,
    { keys },
  );
  const out: (ModelVersionRow | null)[] = keys.map(() => null);
  for (const r of records) out[r.get('i') as number] = nodeRow<ModelVersionRow>(r.get('v') as Node);
  return out;
}

export interface AliasMoveRow {
  readonly fromId: string | null;
  /** Null for a removal: the alias pointed nowhere afterwards. */
  readonly toId: string | null;
  readonly at: Date;
  readonly by: string | null;
}

export interface AliasRow {
  readonly modelId: string;
  readonly name: string;
  readonly versionId: string;
  readonly updatedAt: Date;
  readonly updatedBy: string | null;
  /** Newest first. */
  readonly history: AliasMoveRow[];
}

/** Every alias of each model that points at a version now (not removed ones), by name, with its moves newest first. */
export async function aliasesOfModels(tx: Tx, modelIds: readonly string[]): Promise<Array<[string, AliasRow]>> {
  const records = await tx.run(
    `UNWIND $modelIds AS modelId
     MATCH (a:Alias {modelId: modelId}) WHERE a.versionId IS NOT NULL
     CALL (a) {
       OPTIONAL MATCH (a)-[:MOVED]->(mv:AliasMove)
       WITH mv ORDER BY mv.at DESC
       RETURN collect(mv {.fromId, .toId, .at, .by}) AS history
     }
     RETURN modelId, a {.modelId, .name, .versionId, .updatedAt, .updatedBy} AS alias, history
     ORDER BY a.name`,
    { modelIds },
  );
  return records.map((r) => [
    r.get('modelId') as string,
    { ...(toPlain(r.get('alias')) as Omit<AliasRow, 'history'>), history: toPlain(r.get('history')) as AliasMoveRow[] },
  ]);
}

/** Names of the aliases pointing at each version. */
export async function aliasNamesOfVersions(tx: Tx, versionIds: readonly string[]): Promise<Array<[string, string]>> {
  const records = await tx.run(
    `UNWIND $versionIds AS versionId
     MATCH (a:Alias {versionId: versionId})
     RETURN versionId, a.name AS name ORDER BY name`,
    { versionIds },
  );
  return records.map((r) => [r.get('versionId') as string, r.get('name') as string]);
}

export async function sourceCheckpoints(tx: Tx, versionIds: readonly string[]): Promise<Array<[string, CheckpointRow]>> {
  const records = await tx.run(
    `UNWIND $versionIds AS versionId
     MATCH (:ModelVersion {id: versionId})-[:DERIVED_FROM]->(c:Checkpoint)
     RETURN versionId, c`,
    { versionIds },
  );
  return records.map((r) => [r.get('versionId') as string, nodeRow<CheckpointRow>(r.get('c') as Node)]);
}

/** The run that produced each version: directly (GENERATED_BY) or through its checkpoint. */
export async function producingRuns(tx: Tx, versionIds: readonly string[]): Promise<Array<[string, RunRow]>> {
  const records = await tx.run(
    `UNWIND $versionIds AS versionId
     MATCH (v:ModelVersion {id: versionId})
     CALL (v) {
       OPTIONAL MATCH (v)-[:GENERATED_BY]->(direct:Run)
       OPTIONAL MATCH (v)-[:DERIVED_FROM]->(c:Checkpoint)
       OPTIONAL MATCH (viaCkp:Run {id: c.runId})
       RETURN coalesce(direct, viaCkp) AS r LIMIT 1
     }
     WITH versionId, r WHERE r IS NOT NULL
     RETURN versionId, r`,
    { versionIds },
  );
  return records.map((r) => [r.get('versionId') as string, nodeRow<RunRow>(r.get('r') as Node)]);
}
