/**
 * Datasets and their versions. Version numbers are allocated under the dataset node's write
 * lock (two writers never get one number): `writeDatasetVersion` takes it first, so every later
 * read in the same transaction sees the versions committed by writers that held it before.
 */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow } from '../values.ts';
import { composeEvents, type NewEvent } from './event-append.ts';
import { ADMITTED, headersCypher, headersFrom, type HeaderGate, type NodeHeaders } from './nodes.ts';
import type { DatasetRow, DatasetVersionRow, RunRow } from '../../domain/rows.ts';

export interface NewDatasetVersion {
  readonly id: string;
  readonly projectId: string;
  /** The dataset's name; its id when this version is its first. */
  readonly name: string;
  readonly datasetId: string;
  readonly label: string | null;
  readonly digest: string;
  readonly uri: string;
  readonly sizeBytes: number | null;
  readonly recordCount: number | null;
  readonly schemaJson: string | null;
  readonly propertiesJson: string;
  readonly createdBy: string | null;
  readonly producedBy: string | null;
}

export interface DatasetVersionWrite {
  /** The new version; null when one with the digest or the label exists (nothing was written). */
  readonly created: DatasetVersionRow | null;
  readonly sameDigest: DatasetVersionRow | null;
  readonly sameLabel: DatasetVersionRow | null;
  readonly headers: NodeHeaders;
}

/** The version node with its VERSION_OF edge and, when producedBy is given, its GENERATED_BY edge; `d` and `number` bound. */
const CREATE_VERSION = `CREATE (v:DatasetVersion:LineageNode {
       id: $v.id, projectId: $v.projectId, datasetId: d.id, number: number, label: $v.label,
       digest: $v.digest, uri: $v.uri, sizeBytes: $v.sizeBytes, recordCount: $v.recordCount,
       schemaJson: $v.schemaJson, propertiesJson: $v.propertiesJson, externalId: null,
       createdAt: datetime(), createdBy: $v.createdBy
     })-[:VERSION_OF]->(d)
     WITH v
     OPTIONAL MATCH (run:Run {id: $v.producedBy})
     FOREACH (r IN CASE WHEN run IS NULL THEN [] ELSE [run] END |
       CREATE (v)-[:GENERATED_BY {createdAt: datetime(), role: null}]->(r))
     RETURN v`;

/**
 * Registers a dataset version in one statement (two on the dataset's first use) with its
 * `events` (composeEvents: the unit's last statement; the previous version's id is the
 * statement's), and returns the headers of `headerIds` for the caller's reference checks
 * (headersCypher).
 *
 * The statement takes the dataset's write lock (held until commit) by allocating the next
 * number, then reads under it, so it sees every version committed by earlier holders: the
 * versions with `digest` or (when given) `label`, and the newest (number - 1). When either of
 * the first two exists it gives the number back and creates nothing. An existing dataset is
 * locked by MATCH + SET: Cypher takes the exclusive lock before it evaluates
 * `d.nextNumber + 1`, so no increment is lost, and no shared lock is taken first (MERGE on an
 * existing node takes one, and concurrent upgrades of those deadlock).
 *
 * On first use the MATCH finds nothing, and a second statement creates the dataset with
 * version 1. A concurrent creator makes that CREATE fail on the (projectId, name) constraint
 * once it commits; the caller then runs the unit again, which takes the first path.
 *
 * With a `gate` (an auto-commit statement, which nothing rolls back), only the first statement
 * runs, and it writes only when the checks pass (ADMITTED); null when it wrote nothing because
 * they failed or the dataset does not exist yet.
 */
export async function writeDatasetVersion(
  tx: Tx,
  input: NewDatasetVersion,
  events: readonly NewEvent[],
  headerIds: readonly string[],
  gate: HeaderGate | null,
): Promise<DatasetVersionWrite | null> {
  const headers = headersCypher(headerIds);
  const params = { v: input, gate, ...headers.params };
  const existing = composeEvents(tx, events, { when: 'created', fields: { variables: ['previous'], previousId: 'previous.id' } });
  const [record] = await tx.run(
    pinned(`MATCH (d:Dataset {projectId: $v.projectId, name: $v.name})
     ${headers.cypher}
     ${gate ? `WITH * WHERE ${ADMITTED}` : ''}
     SET d.nextNumber = d.nextNumber + 1
     WITH d, headers, d.nextNumber - 1 AS number
     OPTIONAL MATCH (same:DatasetVersion {datasetId: d.id, digest: $v.digest})
     OPTIONAL MATCH (labelled:DatasetVersion {datasetId: d.id, label: $v.label})
     OPTIONAL MATCH (previous:DatasetVersion {datasetId: d.id, number: number - 1})
     WITH d, headers, number, same, labelled, previous, same IS NULL AND labelled IS NULL AS created
     CALL (d, created) {
       WITH d WHERE NOT created
       SET d.nextNumber = d.nextNumber - 1
     }
     OPTIONAL CALL (d, number, created) {
       WITH d, number WHERE created
       ${CREATE_VERSION}
     }
     ${existing.cypher}
     RETURN v, same, labelled, headers, ${existing.columns}`),
    { ...params, ...existing.params },
  );
  if (record) {
    existing.answered(record);
    return written(record);
  }
  // Gated, nothing was written: a check failed, or the dataset's first use, left to the caller's transaction.
  if (gate) return null;
  const first = composeEvents(tx, events);
  const [created] = await tx.run(
    pinned(`CREATE (d:Dataset {id: $v.datasetId, projectId: $v.projectId, name: $v.name, nextNumber: 2, createdAt: datetime(), createdBy: $v.createdBy})
     WITH d, 1 AS number
     CALL (d, number) {
       ${CREATE_VERSION}
     }
     ${headers.cypher}
     ${first.cypher}
     RETURN v, null AS same, null AS labelled, headers, ${first.columns}`),
    { ...params, ...first.params },
  );
  first.answered(created);
  return written(created!);
}

function written(record: { get(key: string): unknown }): DatasetVersionWrite {
  const row = (key: string) => {
    const node = record.get(key) as Node | null;
    return node ? nodeRow<DatasetVersionRow>(node) : null;
  };
  return { created: row('v'), sameDigest: row('same'), sameLabel: row('labelled'), headers: headersFrom(record) };
}

export async function datasetByName(tx: Tx, projectId: string, name: string): Promise<DatasetRow | null> {
  const [record] = await tx.run('MATCH (d:Dataset {projectId: $projectId, name: $name}) RETURN d', { projectId, name });
  return record ? nodeRow<DatasetRow>(record.get('d') as Node) : null;
}

/** A page request of one parent: at most `limit` rows after the `after` position. */
export interface PageKey<After> {
  readonly parentId: string;
  readonly after: After | null;
  readonly limit: number;
}

/** Versions of each dataset, newest first, below `after` (a version number). One query for all keys. */
export async function datasetVersionPages(tx: Tx, keys: readonly PageKey<number>[]): Promise<DatasetVersionRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     CALL (k) {
       OPTIONAL MATCH (v:DatasetVersion {datasetId: k.parentId})
       WHERE k.after IS NULL OR v.number < k.after
       WITH k, v ORDER BY v.number DESC
       WITH k, collect(v) AS all
       RETURN all[..k.limit] AS vs
     }
     RETURN i, vs`,
    { keys: keys.map((k) => ({ ...k, after: k.after === null ? null : neo4j.int(k.after), limit: neo4j.int(k.limit) })) },
  );
  return pagesByIndex<DatasetVersionRow>(keys.length, records, 'vs');
}

/** Datasets of each project by name, after `after` (a name). One query for all keys. */
export async function projectDatasetPages(tx: Tx, keys: readonly PageKey<string>[]): Promise<DatasetRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     CALL (k) {
       OPTIONAL MATCH (d:Dataset {projectId: k.parentId})
       WHERE k.after IS NULL OR d.name > k.after
       WITH k, d ORDER BY d.name
       WITH k, collect(d) AS all
       RETURN all[..k.limit] AS ds
     }
     RETURN i, ds`,
    { keys: keys.map((k) => ({ ...k, limit: neo4j.int(k.limit) })) },
  );
  return pagesByIndex<DatasetRow>(keys.length, records, 'ds');
}

function pagesByIndex<T>(count: number, records: Awaited<ReturnType<Tx['run']>>, column: string): T[][] {
  const pages: T[][] = Array.from({ length: count }, () => []);
  for (const r of records) pages[r.get('i') as number] = (r.get(column) as Node[]).map((n) => nodeRow<T>(n));
  return pages;
}

/** Versions by (dataset id, number); missing pairs are absent. */
export async function versionsByNumber(
  tx: Tx,
  keys: readonly { datasetId: string; number: number }[],
): Promise<DatasetVersionRow[]> {
  const records = await tx.run(
    `UNWIND $keys AS k
     MATCH (v:DatasetVersion {datasetId: k.datasetId, number: k.number})
     RETURN v`,
    { keys: keys.map((k) => ({ datasetId: k.datasetId, number: neo4j.int(k.number) })) },
  );
  return records.map((r) => nodeRow<DatasetVersionRow>(r.get('v') as Node));
}

/** The newest version of each dataset that has one, as (datasetId, version) pairs. */
export async function latestVersions(tx: Tx, datasetIds: readonly string[]): Promise<Array<[string, DatasetVersionRow]>> {
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (d:Dataset {id: id})
     MATCH (v:DatasetVersion {datasetId: id, number: d.nextNumber - 1})
     RETURN id, v`,
    { ids: datasetIds },
  );
  return records.map((r) => [r.get('id') as string, nodeRow<DatasetVersionRow>(r.get('v') as Node)]);
}

/** The run each lineage node was generated by, as (nodeId, run) pairs. */
export async function generatingRuns(tx: Tx, nodeIds: readonly string[]): Promise<Array<[string, RunRow]>> {
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (:LineageNode {id: id})-[:GENERATED_BY]->(r:Run)
     RETURN id, r`,
    { ids: nodeIds },
  );
  return records.map((r) => [r.get('id') as string, nodeRow<RunRow>(r.get('r') as Node)]);
}

/** The runs that used each lineage node, oldest first, as (nodeId, run) pairs. */
export async function consumingRuns(tx: Tx, nodeIds: readonly string[]): Promise<Array<[string, RunRow]>> {
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (r:Run)-[:USED]->(:LineageNode {id: id})
     RETURN DISTINCT id, r ORDER BY r.createdAt, r.id`,
    { ids: nodeIds },
  );
  return records.map((r) => [r.get('id') as string, nodeRow<RunRow>(r.get('r') as Node)]);
}
