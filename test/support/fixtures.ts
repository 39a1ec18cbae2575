/**
 * Lineage nodes inserted directly with Cypher, in the stored shape of src/domain/rows.ts, for tests
 * that need a run or checkpoint without going through the run mutations.
 */
import type { Driver } from 'neo4j-driver';
import { newId } from '../../src/domain/ids.ts';

/** A COMPLETED TRAINING run of the project; returns its id. */
export async function createRunFixture(driver: Driver, projectId: string, name = 'fixture-run'): Promise<string> {
  const id = newId('Run');
  await driver.executeQuery(
    `CREATE (:Run:LineageNode {
       id: $id, projectId: $projectId, experimentId: null, parentId: null, name: $name, type: 'TRAINING',
       status: 'COMPLETED', paramsJson: '{}', codeJson: null, environmentJson: null, summaryMetricsJson: '{}',
       fingerprint: 'x', idempotencyKey: null, startedAt: datetime(), endedAt: datetime(),
       createdAt: datetime(), createdBy: null, externalId: null
     })`,
    { id, projectId, name },
  );
  return id;
}

/** A RETAINED checkpoint of the run at `step`, GENERATED_BY it; returns its id. */
export async function createCheckpointFixture(driver: Driver, projectId: string, runId: string, step: number): Promise<string> {
  const id = newId('Checkpoint');
  await driver.executeQuery(
    `MATCH (r:Run {id: $runId})
     CREATE (:Checkpoint:LineageNode {
       id: $id, projectId: $projectId, runId: $runId, step: toInteger($step), epoch: null, uri: $uri, digest: null,
       sizeBytes: null, metricsJson: '{}', retention: 'RETAINED', deletedAt: null,
       createdAt: datetime(), createdBy: null, externalId: null
     })-[:GENERATED_BY {role: 'checkpoint', createdAt: datetime()}]->(r)`,
    { id, projectId, runId, step, uri: `s3://fixtures/${runId}/step-${step}.ckpt` },
  );
  return id;
}
