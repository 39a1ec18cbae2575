/**
 * The clean-lineage check and the affected deployments of a quarantine on diamond ladders
 * (2^layers paths): the same pruning breadth-first search as the traversals, each node once,
 * so their cost grows with the nodes, not the paths. Checked with PROFILE of the very queries
 * the release gate runs.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/domain/ids.ts';
import type { Tx } from '../../../src/neo4j/executor.ts';
import { activeDeploymentsDownstream, releaseFacts } from '../../../src/neo4j/queries/governance.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { createDiamondLadder, operators, totalDbHits, type DiamondLadder, type PlanNode } from '../../support/lineage-graphs.ts';

let driver: Driver;
beforeAll(() => {
  driver = testDriver();
});
afterAll(() => driver.close());

/** A Tx whose every statement runs under PROFILE; collects the plans. */
function profilingTx(plans: PlanNode[]): Tx {
  return {
    unit: 'test.profile',
    async run(query, params) {
      const result = await driver.executeQuery(`PROFILE ${query}`, params ?? {}, { routing: 'READ' });
      plans.push(result.summary.profile as unknown as PlanNode);
      return result.records;
    },
  };
}

interface Released {
  readonly ladder: DiamondLadder;
  readonly version: string;
  readonly deployment: string;
}

/** A ladder whose top is read by a training run that produced a model version, deployed and ACTIVE; the raw data quarantined. */
async function releasedLadder(layers: number): Promise<Released> {
  const projectId = unique('prj-gov-cost');
  const ladder = await createDiamondLadder(driver, projectId, layers);
  const run = newId('Run');
  const version = newId('ModelVersion');
  const deployment = newId('Deployment');
  await driver.executeQuery(
    `MATCH (top:LineageNode {id: $top}), (raw:LineageNode {id: $raw})
     SET raw:Quarantined
     CREATE (r:Run:LineageNode {id: $run, projectId: $projectId, name: 'train', type: 'TRAINING', status: 'COMPLETED', paramsJson: '{}',
       summaryMetricsJson: '{"accuracy":0.9}', fingerprint: $run, startedAt: datetime(), createdAt: datetime()})-[:USED {role: 'train', createdAt: datetime()}]->(top)
     CREATE (v:ModelVersion:LineageNode {id: $version, projectId: $projectId, modelId: $modelId, number: 1, status: 'VALIDATED', metricsJson: '{}',
       createdAt: datetime(), createdBy: 'alice'})-[:GENERATED_BY {role: 'model', createdAt: datetime()}]->(r)
     CREATE (d:Deployment:LineageNode {id: $deployment, projectId: $projectId, modelId: $modelId, modelVersionId: $version, environment: 'prod',
       status: 'ACTIVE', deployedAt: datetime(), createdAt: datetime()})-[:DEPLOYS {createdAt: datetime()}]->(v)`,
    { top: ladder.top, raw: ladder.datasets[0]![0], run, version, deployment, projectId, modelId: newId('Model') },
  );
  return { ladder, version, deployment };
}

async function profiledFacts(released: Released) {
  const plans: PlanNode[] = [];
  const facts = await releaseFacts(profilingTx(plans), { versionId: released.version, targetKind: 'ENVIRONMENT', target: 'prod', lineage: true });
  return { facts, plan: plans[0]!, dbHits: totalDbHits(plans[0]!) };
}

async function profiledAffected(released: Released) {
  const plans: PlanNode[] = [];
  const rows = await activeDeploymentsDownstream(profilingTx(plans), [released.ladder.datasets[0]![0]]);
  return { rows, plan: plans[0]!, dbHits: totalDbHits(plans[0]!) };
}

describe('release governance on diamond ladders', () => {
  it('finds the quarantined raw data upstream of a version and the deployment downstream of it, by a pruning search', async () => {
    const released = await releasedLadder(41); // 2^41 paths from the version down to the raw data
    const { facts, plan } = await profiledFacts(released);
    expect(facts.quarantined).toEqual([released.ladder.datasets[0]![0]]);
    expect(facts.runMetricsJson).toBe('{"accuracy":0.9}');
    expect(operators(plan).join(' ')).toMatch(/VarLengthExpand\(Pruning,BFS/);
    expect(operators(plan).join(' ')).not.toMatch(/VarLengthExpand\(All\)|ShortestPath/);

    const affected = await profiledAffected(released);
    expect(affected.rows.map(([node, d]) => [node, d.id])).toEqual([[released.ladder.datasets[0]![0], released.deployment]]);
    expect(operators(affected.plan).join(' ')).toMatch(/VarLengthExpand\(Pruning,BFS/);
  }, 180_000); // building the 41-layer ladder is most of it

  it('grows db hits linearly with the layers', async () => {
    const hits = new Map<number, { check: number; affected: number }>();
    for (const layers of [10, 20, 40]) {
      const released = await releasedLadder(layers);
      hits.set(layers, { check: (await profiledFacts(released)).dbHits, affected: (await profiledAffected(released)).dbHits });
    }
    const seen = `db hits by layers: ${JSON.stringify([...hits])}`;
    for (const key of ['check', 'affected'] as const) {
      expect(hits.get(20)![key] / hits.get(10)![key], seen).toBeLessThan(2.2);
      expect(hits.get(40)![key] / hits.get(20)![key], seen).toBeLessThan(2.2);
      expect(hits.get(40)![key]).toBeGreaterThan(hits.get(20)![key]);
    }
  });
});
