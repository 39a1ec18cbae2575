/**
 * Release governance: the Cypher of release policies, approvals and quarantines.
 *
 * Every write here, and every deploy or alias move that evaluates policies, first takes the
 * project's release gate lock (`lockGate`, `lockGateWithPolicies`), held until commit: a
 * release and a concurrent policy, approval or quarantine write are serialized, so the release
 * is evaluated against everything committed before it, and whatever commits after it waited.
 *
 * A quarantined lineage node carries the label `:Quarantined` (a label, not a property, so node
 * rows read by every other query are unchanged); each quarantine is also a `(:Quarantine)` node
 * that stays, lifted or not, as its history. Clean lineage is the upstream reach of
 * src/neo4j/queries/lineage.ts (a variable-length pattern aggregated with `min(length(p))`,
 * planned as the pruning breadth-first expansion: each node once, linear on diamonds) filtered
 * to quarantined nodes after the aggregation, so the filter cannot turn pruning off.
 */
import type { Node } from 'neo4j-driver';
import type { Tx } from '../executor.ts';
import { pinned } from '../plans.ts';
import { nodeRow } from '../values.ts';
import type { DeploymentRow, ModelVersionStatus } from '../../domain/rows.ts';
import { LINEAGE_REL_TYPES, MAX_DEPTH } from './lineage.ts';

export type ReleaseTargetKind = 'ENVIRONMENT' | 'ALIAS';
export type Comparison = 'LT' | 'LTE' | 'GT' | 'GTE';

export interface MetricRequirementRow {
  readonly key: string;
  readonly comparison: Comparison;
  readonly value: number;
}

export interface ReleasePolicyRow {
  readonly id: string;
  readonly projectId: string;
  readonly targetKind: ReleaseTargetKind;
  readonly target: string;
  /** Null: every model of the project. */
  readonly modelId: string | null;
  readonly requiredStatus: ModelVersionStatus | null;
  /** MetricRequirementRow[] as JSON. */
  readonly metricsJson: string;
  readonly requiredApprovals: number;
  readonly requireCleanLineage: boolean;
  readonly createdAt: Date;
  readonly createdBy: string | null;
}

export interface ApprovalRow {
  readonly versionId: string;
  readonly projectId: string;
  readonly targetKind: ReleaseTargetKind;
  readonly target: string;
  readonly by: string;
  readonly at: Date;
  readonly comment: string | null;
}

export interface QuarantineRow {
  readonly nodeId: string;
  readonly projectId: string;
  readonly reason: string;
  readonly at: Date;
  readonly by: string | null;
  readonly liftedAt: Date | null;
  readonly liftedBy: string | null;
}

const REL_PATTERN = LINEAGE_REL_TYPES.join('|');

/** Takes the project's release gate lock (creating the gate on first use), held until commit. */
export async function lockGate(tx: Tx, projectId: string): Promise<void> {
  await tx.run('MERGE (g:ReleaseGate {projectId: $projectId}) SET g._lock = true REMOVE g._lock', { projectId });
}

export interface PolicyTarget {
  readonly projectId: string;
  readonly modelId: string;
  readonly targetKind: ReleaseTargetKind;
  readonly target: string;
}

const MATCHING_POLICIES = `OPTIONAL MATCH (p:ReleasePolicy {projectId: $projectId, targetKind: $targetKind, target: $target})
     WHERE p.modelId IS NULL OR p.modelId = $modelId
     WITH p ORDER BY p.createdAt, p.id
     RETURN collect(p) AS policies`;

/** The gate lock, then the policies that apply to a release of the model into the target (oldest first), in one statement. */
export async function lockGateWithPolicies(tx: Tx, target: PolicyTarget): Promise<ReleasePolicyRow[]> {
  const [record] = await tx.run(
    pinned(`MERGE (g:ReleaseGate {projectId: $projectId}) SET g._lock = true REMOVE g._lock
     WITH g
     ${MATCHING_POLICIES}`),
    { ...target },
  );
  return (record!.get('policies') as Node[]).map((n) => nodeRow<ReleasePolicyRow>(n));
}

/** The policies that apply to a release of the model into the target, without a lock (releaseCheck). */
export async function matchingPolicies(tx: Tx, target: PolicyTarget): Promise<ReleasePolicyRow[]> {
  const [record] = await tx.run(MATCHING_POLICIES, { ...target });
  return (record!.get('policies') as Node[]).map((n) => nodeRow<ReleasePolicyRow>(n));
}

export interface ReleaseFacts {
  /** The producing run's latest value per metric key (JSON), null when no run produced the version. */
  readonly runMetricsJson: string | null;
  /** Distinct users other than the version's creator who approved it for the target. */
  readonly approvers: string[];
  /** Quarantined nodes among the version and its upstream, nearest first; empty unless `lineage`. */
  readonly quarantined: string[];
}

/**
 * What the rules of a policy read besides the version itself, in one statement. `lineage`:
 * also search the version's upstream (up to MAX_DEPTH hops) for quarantined nodes.
 */
export async function releaseFacts(tx: Tx, input: { versionId: string; targetKind: ReleaseTargetKind; target: string; lineage: boolean }): Promise<ReleaseFacts> {
  const [record] = await tx.run(
    `MATCH (v:ModelVersion {id: $versionId})
     CALL (v) {
       OPTIONAL MATCH (v)-[:GENERATED_BY]->(direct:Run)
       OPTIONAL MATCH (v)-[:DERIVED_FROM]->(c:Checkpoint)
       OPTIONAL MATCH (viaCkp:Run {id: c.runId})
       RETURN coalesce(direct, viaCkp).summaryMetricsJson AS runMetricsJson LIMIT 1
     }
     CALL (v) {
       OPTIONAL MATCH (a:Approval {versionId: v.id, targetKind: $targetKind, target: $target})
       WHERE a.by <> coalesce(v.createdBy, '')
       RETURN collect(DISTINCT a.by) AS approvers
     }
     CALL (v) {
       WITH v WHERE $lineage
       MATCH p = (v)-[:${REL_PATTERN}*1..${MAX_DEPTH}]->(n)
       WITH n, min(length(p)) AS depth
       WHERE n:Quarantined
       WITH n, depth ORDER BY depth, n.id
       RETURN collect(n.id) AS upstream
     }
     RETURN runMetricsJson, approvers, CASE WHEN $lineage AND v:Quarantined THEN [v.id] ELSE [] END + upstream AS quarantined`,
    input,
  );
  if (!record) return { runMetricsJson: null, approvers: [], quarantined: [] };
  return {
    runMetricsJson: (record.get('runMetricsJson') as string | null) ?? null,
    approvers: record.get('approvers') as string[],
    quarantined: record.get('quarantined') as string[],
  };
}

// ------------------------------------------------------------------ policies

/** Creates or replaces the policy of (project, key), keeping its id and creation; call under the gate lock. */
export async function upsertPolicy(
  tx: Tx,
  input: {
    id: string;
    projectId: string;
    key: string;
    targetKind: ReleaseTargetKind;
    target: string;
    modelId: string | null;
    requiredStatus: ModelVersionStatus | null;
    metricsJson: string;
    requiredApprovals: number;
    requireCleanLineage: boolean;
    actor: string | null;
  },
): Promise<{ policy: ReleasePolicyRow; created: boolean }> {
  const [record] = await tx.run(
    `MERGE (p:ReleasePolicy {projectId: $projectId, key: $key})
     ON CREATE SET p.id = $id, p.createdAt = datetime(), p.createdBy = $actor, p._created = true
     SET p.targetKind = $targetKind, p.target = $target, p.modelId = $modelId, p.requiredStatus = $requiredStatus,
         p.metricsJson = $metricsJson, p.requiredApprovals = toInteger($requiredApprovals),
         p.requireCleanLineage = $requireCleanLineage
     WITH p, coalesce(p._created, false) AS created
     REMOVE p._created
     RETURN p, created`,
    input,
  );
  return { policy: nodeRow<ReleasePolicyRow>(record!.get('p') as Node), created: record!.get('created') as boolean };
}

export async function policyById(tx: Tx, id: string): Promise<ReleasePolicyRow | null> {
  const [record] = await tx.run('MATCH (p:ReleasePolicy {id: $id}) RETURN p', { id });
  return record ? nodeRow<ReleasePolicyRow>(record.get('p') as Node) : null;
}

export async function deletePolicy(tx: Tx, id: string): Promise<void> {
  await tx.run('MATCH (p:ReleasePolicy {id: $id}) DELETE p', { id });
}

/** Policies of each project, by target kind, target, then creation. */
export async function policiesOfProjects(tx: Tx, projectIds: readonly string[]): Promise<Array<[string, ReleasePolicyRow]>> {
  const records = await tx.run(
    `UNWIND $projectIds AS projectId
     MATCH (p:ReleasePolicy {projectId: projectId})
     RETURN projectId, p ORDER BY p.targetKind, p.target, p.createdAt, p.id`,
    { projectIds },
  );
  return records.map((r) => [r.get('projectId') as string, nodeRow<ReleasePolicyRow>(r.get('p') as Node)]);
}

// ------------------------------------------------------------------ approvals

/** The user's approval of the version for the target, if any. */
export async function findApproval(tx: Tx, versionId: string, key: string): Promise<ApprovalRow | null> {
  const [record] = await tx.run('MATCH (a:Approval {versionId: $versionId, key: $key}) RETURN a', { versionId, key });
  return record ? nodeRow<ApprovalRow>(record.get('a') as Node) : null;
}

export async function createApproval(tx: Tx, input: Omit<ApprovalRow, 'at'> & { key: string }): Promise<ApprovalRow> {
  const [record] = await tx.run(
    `CREATE (a:Approval {versionId: $versionId, projectId: $projectId, key: $key, targetKind: $targetKind, target: $target,
       by: $by, at: datetime(), comment: $comment})
     RETURN a`,
    input,
  );
  return nodeRow<ApprovalRow>(record!.get('a') as Node);
}

/** Approvals of each version, oldest first. */
export async function approvalsOfVersions(tx: Tx, versionIds: readonly string[]): Promise<Array<[string, ApprovalRow]>> {
  const records = await tx.run(
    `UNWIND $versionIds AS versionId
     MATCH (a:Approval {versionId: versionId})
     RETURN versionId, a ORDER BY a.at, a.by`,
    { versionIds },
  );
  return records.map((r) => [r.get('versionId') as string, nodeRow<ApprovalRow>(r.get('a') as Node)]);
}

// ------------------------------------------------------------------ quarantine

/** The node's quarantine in force, if any. */
export async function activeQuarantine(tx: Tx, nodeId: string): Promise<QuarantineRow | null> {
  const [record] = await tx.run('MATCH (q:Quarantine {nodeId: $nodeId}) WHERE q.liftedAt IS NULL RETURN q LIMIT 1', { nodeId });
  return record ? nodeRow<QuarantineRow>(record.get('q') as Node) : null;
}

/** Quarantines the node: labels it and records the quarantine. Call under the gate lock, when none is in force. */
export async function createQuarantine(tx: Tx, input: { nodeId: string; projectId: string; reason: string; actor: string | null }): Promise<QuarantineRow> {
  const [record] = await tx.run(
    `MATCH (n:LineageNode {id: $nodeId}) USING INDEX SEEK n:LineageNode(id)
     SET n:Quarantined
     CREATE (q:Quarantine {nodeId: $nodeId, projectId: $projectId, reason: $reason, at: datetime(), by: $actor})
     RETURN q`,
    input,
  );
  return nodeRow<QuarantineRow>(record!.get('q') as Node);
}

/** Lifts the quarantine in force: unlabels the node and stamps the quarantine. Call under the gate lock. */
export async function liftQuarantine(tx: Tx, input: { nodeId: string; actor: string | null }): Promise<QuarantineRow> {
  const [record] = await tx.run(
    `MATCH (q:Quarantine {nodeId: $nodeId}) WHERE q.liftedAt IS NULL
     SET q.liftedAt = datetime(), q.liftedBy = $actor
     WITH q
     MATCH (n:LineageNode {id: $nodeId}) USING INDEX SEEK n:LineageNode(id)
     REMOVE n:Quarantined
     RETURN q`,
    input,
  );
  return nodeRow<QuarantineRow>(record!.get('q') as Node);
}

/** The project's quarantines, newest first; lifted ones only with `includeLifted`. */
export async function quarantinesOfProject(tx: Tx, projectId: string, includeLifted: boolean): Promise<QuarantineRow[]> {
  const records = await tx.run(
    `MATCH (q:Quarantine {projectId: $projectId}) WHERE $includeLifted OR q.liftedAt IS NULL
     RETURN q ORDER BY q.at DESC, q.nodeId`,
    { projectId, includeLifted },
  );
  return records.map((r) => nodeRow<QuarantineRow>(r.get('q') as Node));
}

/**
 * The ACTIVE deployments downstream of each node (the node itself included when it is one),
 * within MAX_DEPTH hops, by the same pruning search as the traversals.
 */
export async function activeDeploymentsDownstream(tx: Tx, nodeIds: readonly string[]): Promise<Array<[string, DeploymentRow]>> {
  const records = await tx.run(
    `UNWIND $nodeIds AS nodeId
     MATCH (root:LineageNode {id: nodeId}) USING INDEX SEEK root:LineageNode(id)
     CALL (root) {
       MATCH p = (root)<-[:${REL_PATTERN}*1..${MAX_DEPTH}]-(n)
       WITH n, min(length(p)) AS depth
       WHERE n:Deployment AND n.status = 'ACTIVE'
       RETURN n AS d, depth
       UNION
       WITH root WHERE root:Deployment AND root.status = 'ACTIVE'
       RETURN root AS d, 0 AS depth
     }
     RETURN nodeId, d ORDER BY nodeId, depth, d.id`,
    { nodeIds },
  );
  return records.map((r) => [r.get('nodeId') as string, nodeRow<DeploymentRow>(r.get('d') as Node)]);
}
