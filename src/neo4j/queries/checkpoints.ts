/** Checkpoints: unique per (run, step). */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow } from '../values.ts';
import { composeEvents, type NewEvent } from './event-append.ts';
import type { CheckpointRow, RunRow } from '../../domain/rows.ts';

export interface NewCheckpoint {
  readonly id: string;
  readonly runId: string;
  readonly createdBy: string | null;
  readonly step: number;
  readonly epoch: number | null;
  readonly uri: string;
  readonly digest: string | null;
  readonly sizeBytes: number | null;
  readonly metricsJson: string;
}

/**
 * Takes the run's write lock (held until commit) and creates the checkpoint in the run's
 * project with its CHECKPOINT_CREATED event (composeEvents: the unit's last statement; the
 * event's project and name are the run's), or returns the run's existing one at that step
 * (MERGE on the constrained pair) and appends nothing; with the run as read under the lock.
 * Null when the run does not exist, or, with `writable` (authorize.ts' projectsWithRole), when
 * it is not in one of those projects: then nothing was written.
 */
export async function mergeCheckpoint(tx: Tx, ckp: NewCheckpoint, writable: { all: boolean; projects: readonly string[] } | null): Promise<{ run: RunRow; checkpoint: CheckpointRow } | null> {
  // The project and name are the run's, which the statement writes (StatementFields).
  const event: NewEvent = { kind: 'CHECKPOINT_CREATED', projectId: '', subjectId: ckp.id, actor: ckp.createdBy };
  const composed = composeEvents(tx, [event], { when: 'created', fields: { variables: ['r'], projectId: 'r.projectId', name: 'r.name' } });
  const [record] = await tx.run(
    pinned(`MATCH (r:Run {id: $ckp.runId})
     ${writable ? 'WHERE $writable.all OR r.projectId IN $writable.projects' : ''}
     SET r.__lock = true REMOVE r.__lock
     MERGE (c:Checkpoint:LineageNode {runId: $ckp.runId, step: toInteger($ckp.step)})
     ON CREATE SET c.id = $ckp.id, c.projectId = r.projectId, c.createdBy = $ckp.createdBy, c.createdAt = datetime(),
       c.externalId = null, c.epoch = CASE WHEN $ckp.epoch IS NULL THEN null ELSE toInteger($ckp.epoch) END,
       c.uri = $ckp.uri, c.digest = $ckp.digest, c.sizeBytes = $ckp.sizeBytes, c.metricsJson = $ckp.metricsJson,
       c.retention = 'RETAINED', c.deletedAt = null
     WITH r, c, c.id = $ckp.id AS created
     FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END |
       CREATE (c)-[:GENERATED_BY {role: 'checkpoint', createdAt: datetime()}]->(r))
     WITH r, c, created
     ${composed.cypher}
     RETURN r, c, ${composed.columns}`),
    { ckp, writable, ...composed.params },
  );
  if (!record) return null; // no run (or, with `writable`, not one of those projects'): nothing was written
  composed.answered(record);
  return { run: nodeRow<RunRow>(record.get('r') as Node), checkpoint: nodeRow<CheckpointRow>(record.get('c') as Node) };
}

export async function checkpointsOfRuns(tx: Tx, runIds: readonly string[]): Promise<Array<[string, CheckpointRow]>> {
  const records = await tx.run(
    `MATCH (r:Run)<-[:GENERATED_BY]-(c:Checkpoint) WHERE r.id IN $runIds AND c.runId = r.id
     RETURN DISTINCT r.id AS runId, c ORDER BY c.step`,
    { runIds },
  );
  return records.map((rec) => [rec.get('runId') as string, nodeRow<CheckpointRow>(rec.get('c') as Node)]);
}

/** How far downstream pruning looks for a model version or deployment (edges). */
export const PROTECTION_DEPTH = 100;

/**
 * The checkpoints among `ids` from which a model version or deployment derives, directly or
 * through other nodes (within PROTECTION_DEPTH edges downstream). Per checkpoint, a
 * breadth-first expansion that visits each downstream node once (var-length + DISTINCT,
 * planned as VarLengthExpand(Pruning)), not path enumeration.
 */
export async function protectedCheckpointIds(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (c:Checkpoint {id: id})
     CALL (c) {
       MATCH (c)<-[:USED|GENERATED_BY|DERIVED_FROM|DEPLOYS*1..${PROTECTION_DEPTH}]-(d:LineageNode)
       WITH DISTINCT d
       WHERE d:ModelVersion OR d:Deployment
       RETURN count(d) AS dependants
     }
     WITH c, dependants WHERE dependants > 0
     RETURN c.id AS id`,
    { ids },
  );
  return new Set(records.map((rec) => rec.get('id') as string));
}

/** Marks the checkpoints DELETED (their lineage stays); returns them as stored now. */
export async function markCheckpointsDeleted(tx: Tx, ids: readonly string[]): Promise<CheckpointRow[]> {
  if (ids.length === 0) return [];
  const records = await tx.run(
    `UNWIND $ids AS id
     MATCH (c:Checkpoint {id: id})
     SET c.retention = 'DELETED', c.deletedAt = datetime()
     RETURN c ORDER BY c.step`,
    { ids },
  );
  return records.map((rec) => nodeRow<CheckpointRow>(rec.get('c') as Node));
}
