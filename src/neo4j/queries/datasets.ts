/**
 * Datasets and their versions. Version numbers are allocated under the dataset node's write
 * lock (two writers never get one number): `lockDataset` takes it first, so every later read in the same
 * transaction sees the versions committed by writers that held it before.
 */
import neo4j, { type Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { nodeRow } from '../values.ts';
import { composeEvents, type NewEvent } from './event-append.ts';
import { headersCypher, headersFrom, type NodeHeaders } from './nodes.ts';
import type { DatasetRow, DatasetVersionRow, RunRow } from '../../domain/rows.ts';

/**
 * Creates the dataset on first use, takes its write lock (held until commit) by allocating
 * the next number, and returns the dataset with the allocated number, the id of its newest
 * version (number - 1; committed, since its creator held the lock) and, read under the lock,
 * its versions that already have `digest` or (when given) `label`, and the headers of
 * `headerIds` for the caller's reference checks (headersCypher). A unit of work that then
 * creates no version gives the number back (`releaseNumber`).
 *
 * An existing dataset is locked by MATCH + SET: Cypher takes the exclusive lock before it
 * evaluates `d.nextNumber + 1`, so no increment is lost, and no shared lock is taken first
 * (MERGE on an existing node takes one, and concurrent upgrades of those deadlock).
 */
export async function lockDataset(
  tx: Tx,
  input: { id: string; projectId: string; name: string; createdBy: string | null; digest: string; label: string | null },
  headerIds: readonly string[],
): Promise<{ dataset: DatasetRow; number: number; previousId: string | null; sameDigest: DatasetVersionRow | null; sameLabel: DatasetVersionRow | null; headers: NodeHeaders }> {
  const headers = headersCypher(headerIds);
  const allocate = `MATCH (d:Dataset {projectId: $projectId, name: $name})
     SET d.nextNumber = d.nextNumber + 1
     WITH d
     OPTIONAL MATCH (previous:DatasetVersion {datasetId: d.id, number: d.nextNumber - 2})
     OPTIONAL MATCH (same:DatasetVersion {datasetId: d.id, digest: $digest})
     OPTIONAL MATCH (labelled:DatasetVersion {datasetId: d.id, label: $label})
     ${headers.cypher}
     RETURN d, d.nextNumber - 1 AS number, previous.id AS previousId, same, labelled, headers`;
  let [record] = await tx.run(allocate, { ...input, ...headers.params });
  // First use. A concurrent creator makes this CREATE fail on the (projectId, name)
  // constraint once it commits; the caller then runs the unit again, which takes the path above.
  record ??= (
    await tx.run(
      `CREATE (d:Dataset {id: $id, projectId: $projectId, name: $name, nextNumber: 2, createdAt: datetime(), createdBy: $createdBy})
       WITH d
       ${headers.cypher}
       RETURN d, 1 AS number, null AS previousId, null AS same, null AS labelled, headers`,
      { ...input, ...headers.params },
    )
  )[0];
  const number = record!.get('number') as number;
  const previousId = (record!.get('previousId') as string | null) ?? null;
  const same = record!.get('same') as Node | null;
  const labelled = record!.get('labelled') as Node | null;
  return {
    dataset: { ...nodeRow<DatasetRow>(record!.get('d') as Node), nextNumber: number },
    number,
    previousId,
    sameDigest: same ? nodeRow<DatasetVersionRow>(same) : null,
    sameLabel: labelled ? nodeRow<DatasetVersionRow>(labelled) : null,
    headers: headersFrom(record!),
  };
}

/** Undoes the allocation of `lockDataset` (the lock stays held): the dataset is as before. */
export async function releaseNumber(tx: Tx, datasetId: string): Promise<void> {
  await tx.run('MATCH (d:Dataset {id: $datasetId}) SET d.nextNumber = d.nextNumber - 1', { datasetId });
}

export interface NewDatasetVersion {
  readonly id: string;
  /** Allocated by lockDataset. */
  readonly number: number;
  readonly projectId: string;
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

/**
 * Creates the version numbered by lockDataset (the caller holds the lock), its VERSION_OF edge,
 * when producedBy is given its GENERATED_BY edge, and `events` (composeEvents: the unit's last
 * statement). (lockDataset returned the previous version's id.)
 */
export async function createDatasetVersion(tx: Tx, input: NewDatasetVersion, events: readonly NewEvent[]): Promise<{ version: DatasetVersionRow }> {
  const composed = composeEvents(tx, events);
  const [record] = await tx.run(
    `MATCH (d:Dataset {id: $datasetId})
     WITH d, $number AS number
     CREATE (v:DatasetVersion:LineageNode {
       id: $id, projectId: $projectId, datasetId: $datasetId, number: number, label: $label,
       digest: $digest, uri: $uri, sizeBytes: $sizeBytes, recordCount: $recordCount,
       schemaJson: $schemaJson, propertiesJson: $propertiesJson, externalId: null,
       createdAt: datetime(), createdBy: $createdBy
     })-[:VERSION_OF]->(d)
     WITH v
     OPTIONAL MATCH (run:Run {id: $producedBy})
     FOREACH (r IN CASE WHEN run IS NULL THEN [] ELSE [run] END |
       CREATE (v)-[:GENERATED_BY {createdAt: datetime(), role: null}]->(r))
     WITH v
     ${composed.cypher}
     RETURN v, ${composed.columns}`,
    { ...input, number: neo4j.int(input.number), ...composed.params },
  );
  composed.answered(record);
  return { version: nodeRow<DatasetVersionRow>(record!.get('v') as Node) };
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
