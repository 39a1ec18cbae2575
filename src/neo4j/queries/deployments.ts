/** Deployments of model versions: one ACTIVE per model and environment, chained by REPLACES. */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow } from '../values.ts';
import type { DeploymentRow, DeploymentStatus, ModelRow, ModelVersionRow } from '../../domain/rows.ts';

/** The newest ACTIVE deployment `d` of the model whose id is `modelId` (a Cypher expression) in `$environment`. */
const ACTIVE_IN_ENVIRONMENT = (modelId: string) =>
  `MATCH (d:Deployment {modelId: ${modelId}, environment: $environment}) WHERE d.status = 'ACTIVE'
     RETURN d ORDER BY d.deployedAt DESC LIMIT 1`;

/**
 * What deploying version `versionId` to `environment` starts from, in one statement: the
 * version's model, write-locked until commit (serializes deployments and status changes of
 * the model's versions), then, under the lock, the version as the last lock holder left it and
 * the model's ACTIVE deployment in the environment. Null when the version does not exist.
 * The reads after the lock are subqueries of the locked row, so they run after it is taken.
 */
export async function lockForDeployment(tx: Tx, versionId: string, environment: string): Promise<{ model: ModelRow; version: ModelVersionRow; active: DeploymentRow | null } | null> {
  const [record] = await tx.run(
    pinned(`MATCH (found:ModelVersion {id: $versionId})
     MATCH (m:Model {id: found.modelId})
     SET m._lock = true REMOVE m._lock
     WITH m
     CALL (m) {
       MATCH (v:ModelVersion {id: $versionId})
       RETURN v
     }
     OPTIONAL CALL (m) {
       ${ACTIVE_IN_ENVIRONMENT('m.id')}
     }
     RETURN m, v, d`),
    { versionId, environment },
  );
  if (!record) return null;
  const active = record.get('d') as Node | null;
  return { model: nodeRow<ModelRow>(record.get('m') as Node), version: nodeRow<ModelVersionRow>(record.get('v') as Node), active: active ? nodeRow<DeploymentRow>(active) : null };
}

/** The ACTIVE deployment of the model in the environment (call under the model's lock). */
export async function activeDeployment(tx: Tx, modelId: string, environment: string): Promise<DeploymentRow | null> {
  const [record] = await tx.run(ACTIVE_IN_ENVIRONMENT('$modelId'), { modelId, environment });
  return record ? nodeRow<DeploymentRow>(record.get('d') as Node) : null;
}

export async function deploymentById(tx: Tx, id: string): Promise<DeploymentRow | null> {
  const [record] = await tx.run('MATCH (d:Deployment {id: $id}) RETURN d', { id });
  return record ? nodeRow<DeploymentRow>(record.get('d') as Node) : null;
}

/** Ends a deployment: sets its final status and endedAt. */
export async function endDeployment(tx: Tx, id: string, status: DeploymentStatus): Promise<void> {
  await tx.run(pinned('MATCH (d:Deployment {id: $id}) SET d.status = $status, d.endedAt = datetime()'), { id, status });
}

/** Creates an ACTIVE deployment DEPLOYS the version, REPLACES the previous one when given. */
export async function createDeployment(
  tx: Tx,
  input: {
    id: string;
    projectId: string;
    modelId: string;
    modelVersionId: string;
    environment: string;
    endpoint: string | null;
    replacesId: string | null;
    actor: string | null;
  },
): Promise<DeploymentRow> {
  const [record] = await tx.run(
    pinned(`MATCH (v:ModelVersion {id: $modelVersionId})
     CREATE (d:Deployment:LineageNode {
       id: $id, projectId: $projectId, modelId: $modelId, modelVersionId: $modelVersionId,
       environment: $environment, endpoint: $endpoint, status: 'ACTIVE', replacesId: $replacesId,
       deployedAt: datetime(), endedAt: null, createdAt: datetime(), createdBy: $actor, externalId: null
     })-[:DEPLOYS {createdAt: datetime()}]->(v)
     WITH d
     CALL (d) {
       MATCH (p:Deployment {id: $replacesId})
       CREATE (d)-[:REPLACES]->(p)
     }
     RETURN d`),
    { ...input, endpoint: input.endpoint ?? null, replacesId: input.replacesId ?? null, actor: input.actor ?? null },
  );
  return nodeRow<DeploymentRow>(record!.get('d') as Node);
}

export interface DeploymentsKey {
  readonly modelId: string;
  readonly environment: string | null;
  readonly activeOnly: boolean;
}

/** Deployments of each model, newest first, filtered per key. */
export async function deploymentsOfModels(tx: Tx, keys: readonly DeploymentsKey[]): Promise<DeploymentRow[][]> {
  const records = await tx.run(
    `UNWIND range(0, size($keys) - 1) AS i
     WITH i, $keys[i] AS k
     OPTIONAL MATCH (d:Deployment {modelId: k.modelId})
       WHERE (k.environment IS NULL OR d.environment = k.environment) AND (NOT k.activeOnly OR d.status = 'ACTIVE')
     WITH i, d ORDER BY d.deployedAt DESC
     RETURN i, collect(d) AS rows`,
    { keys },
  );
  const out: DeploymentRow[][] = keys.map(() => []);
  for (const r of records) out[r.get('i') as number] = (r.get('rows') as Node[]).map((n) => nodeRow<DeploymentRow>(n));
  return out;
}

/** Deployments of each version, newest first. */
export async function deploymentsOfVersions(tx: Tx, versionIds: readonly string[]): Promise<Array<[string, DeploymentRow]>> {
  const records = await tx.run(
    `UNWIND $versionIds AS versionId
     MATCH (:ModelVersion {id: versionId})<-[:DEPLOYS]-(d:Deployment)
     RETURN versionId, d ORDER BY d.deployedAt DESC`,
    { versionIds },
  );
  return records.map((r) => [r.get('versionId') as string, nodeRow<DeploymentRow>(r.get('d') as Node)]);
}
