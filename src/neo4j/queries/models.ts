/**
 * Models, model versions and aliases: the Cypher of the model registry. Writes run inside a
 * unit of work that first takes the model's write lock (`lockModel`/`writeModelVersion`),
 * so version numbers, alias moves and deployments of one model are serialized.
 */
import type { Node } from 'neo4j-driver';
import { labelOf } from '../../domain/ids.ts';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow, toPlain } from '../values.ts';
import { composeEvents, type ComposedEvents, type NewEvent } from './event-append.ts';
import { ADMITTED, headersCypher, headersFrom, type HeaderGate, type NodeHeaders } from './nodes.ts';
import type { CheckpointRow, ModelRow, ModelVersionRow, ModelVersionStatus, RunRow } from '../../domain/rows.ts';

export interface NewModelVersion {
  readonly id: string;
  readonly projectId: string;
  /** The model's name; its id when this version is its first. */
  readonly modelName: string;
  readonly modelId: string;
  readonly semver: string | null;
  readonly description: string | null;
  readonly metricsJson: string;
  readonly actor: string | null;
  readonly sourceId: string;
}

export interface ModelVersionWrite {
  /** The new version; null when `semver` is taken (the clash), and nothing was written but the model's lock. */
  readonly version: ModelVersionRow | null;
  readonly clashId: string | null;
  /** The version numbered just below the new one, read under the model's lock. */
  readonly previousId: string | null;
  readonly headers: NodeHeaders;
}

/**
 * Registers a model version in one statement (two for a new model) with `events`
 * (composeEvents: the statement is then the unit's last; their previous version's id is the
 * statement's), and returns the headers of `headerIds` for the caller's reference checks
 * (headersCypher). Null when the project does not exist (nothing was written).
 *
 * The statement takes the model's write lock, held until commit, by a write before it reads
 * `nextNumber` (a plain `SET n.x = n.x + 1` may read before it locks), so numbers are gap-free
 * under concurrency, and under it every version numbered below the new one has committed: the
 * one just below is the new version's previous one. A version holding `semver` already (the
 * clash) stops it before the create, which the semver constraint would otherwise fail without
 * naming the clash. The lineage edge to the source follows the source's label, which its id's
 * prefix names (a source that is missing, or not a checkpoint, run or artifact, gets no edge,
 * and the caller's check then rolls the version back). First creations of a model serialize
 * on the project's lock, so concurrent first registrations do not deadlock on the
 * (projectId, name) index entry.
 *
 * With a `gate` (an auto-commit statement, which nothing rolls back), only the first statement
 * runs, and it writes only when the checks pass (ADMITTED), so a source of another kind is
 * refused before anything is written; null when it wrote nothing because they failed or the
 * model does not exist yet.
 */
export async function writeModelVersion(
  tx: Tx,
  input: NewModelVersion,
  events: readonly NewEvent[],
  headerIds: readonly string[],
  gate: HeaderGate | null,
): Promise<ModelVersionWrite | null> {
  const headers = headersCypher(headerIds);
  const edge = SOURCE_EDGES[labelOf(input.sourceId) ?? ''];
  const write = (composed: ComposedEvents) => `WITH m
     ${headers.cypher}
     ${gate ? `WITH * WHERE ${ADMITTED}` : ''}
     WITH m, headers SET m._lock = true REMOVE m._lock
     WITH m, headers, m.nextNumber AS number
     OPTIONAL MATCH (clash:ModelVersion {modelId: m.id, semver: $v.semver})
     OPTIONAL MATCH (previous:ModelVersion {modelId: m.id, number: number - 1})
     WITH m, headers, number, clash, previous, clash IS NULL AS created
     OPTIONAL CALL (m, number, created) {
       WITH m, number WHERE created
       SET m.nextNumber = number + 1
       CREATE (v:ModelVersion:LineageNode {
         id: $v.id, projectId: $v.projectId, modelId: m.id, number: number, semver: $v.semver,
         description: $v.description, status: 'REGISTERED', metricsJson: $v.metricsJson,
         createdAt: datetime(), createdBy: $v.actor, externalId: null
       })-[:VERSION_OF]->(m)
       ${edge ? `WITH v CALL (v) { ${edge} }` : ''}
       RETURN v
     }
     ${composed.cypher}
     RETURN v, clash.id AS clashId, previous.id AS previousId, headers, ${composed.columns}`;
  const fields = { variables: ['previous'], previousId: 'previous.id' };
  const params = { v: input, gate, ...headers.params };
  const existing = composeEvents(tx, events, { when: 'created', fields });
  let [record] = await tx.run(pinned(`MATCH (m:Model {projectId: $v.projectId, name: $v.modelName}) ${write(existing)}`), { ...params, ...existing.params });
  if (record) existing.answered(record);
  // Gated, nothing was written: a check failed, or the model's first use, left to the caller's transaction.
  else if (gate) return null;
  else {
    const first = composeEvents(tx, events, { when: 'created', fields });
    [record] = await tx.run(
      pinned(`MATCH (p:Project {id: $v.projectId}) SET p._lock = true REMOVE p._lock
       MERGE (m:Model {projectId: $v.projectId, name: $v.modelName})
       ON CREATE SET m.id = $v.modelId, m.description = null, m.nextNumber = 1, m.createdAt = datetime(), m.createdBy = $v.actor
       ${write(first)}`),
      { ...params, ...first.params },
    );
    // No project: nothing was written; the caller reports it like its project check would.
    if (!record) return null;
    first.answered(record);
  }
  const version = record.get('v') as Node | null;
  return {
    version: version ? nodeRow<ModelVersionRow>(version) : null,
    clashId: (record.get('clashId') as string | null) ?? null,
    previousId: (record.get('previousId') as string | null) ?? null,
    headers: headersFrom(record),
  };
}

/** The lineage edge from a new version `v` to its source, by the source's label. */
const SOURCE_EDGES: Partial<Record<string, string>> = {
  Checkpoint: 'MATCH (s:Checkpoint {id: $v.sourceId}) CREATE (v)-[:DERIVED_FROM {createdAt: v.createdAt}]->(s)',
  Artifact: 'MATCH (s:Artifact {id: $v.sourceId}) CREATE (v)-[:DERIVED_FROM {createdAt: v.createdAt}]->(s)',
  Run: "MATCH (s:Run {id: $v.sourceId}) CREATE (v)-[:GENERATED_BY {role: 'model', createdAt: v.createdAt}]->(s)",
};

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

export async function versionById(tx: Tx, id: string): Promise<ModelVersionRow | null> {
  const [record] = await tx.run('MATCH (v:ModelVersion {id: $id}) RETURN v', { id });
  return record ? nodeRow<ModelVersionRow>(record.get('v') as Node) : null;
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
