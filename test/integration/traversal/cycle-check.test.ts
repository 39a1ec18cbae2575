/**
 * The cycle check of lineage writes (firstCycle): right answers, and its cost shape from PROFILE
 * on a diamond ladder (2^41 distinct paths): a bidirectional breadth-first search between the
 * edge's ends that visits each node at most once, never an enumeration of paths, and that
 * stays a handful of lookups when the new edge's source has no downstream (a run's new output)
 * however large the target's upstream is.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstCycle } from '../../../src/neo4j/queries/lineage.ts';
import type { Tx } from '../../../src/neo4j/executor.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { createDiamondLadder, createFineTuningChain, operators, totalDbHits, type DiamondLadder } from '../../support/lineage-graphs.ts';

const LAYERS = 41;

let driver: Driver;
let ladder: DiamondLadder;
beforeAll(async () => {
  driver = testDriver();
  ladder = await createDiamondLadder(driver, unique('prj-cycle'), LAYERS);
});
afterAll(async () => {
  await driver.close();
});

function profiling(plans: any[]): Tx {
  return {
    unit: 'test.profile',
    async run(query, params) {
      const result = await driver.executeQuery(`PROFILE ${query}`, params ?? {}, { routing: 'READ' });
      plans.push(result.summary.profile);
      return result.records;
    },
  };
}

describe('firstCycle', () => {
  it('finds an edge whose source is upstream of its target, and only such an edge', async () => {
    const raw = ladder.datasets[0]![0];
    // raw -> top would close a cycle: raw is 2 hops per layer upstream of top.
    expect(await firstCycle(profiling([]), [{ from: raw, to: ladder.top }])).toMatchObject({ from: raw, to: ladder.top, hops: 2 * LAYERS + 1 });
    // top -> raw would not (it is the direction lineage already goes), nor an edge between siblings.
    expect(await firstCycle(profiling([]), [{ from: ladder.top, to: raw }])).toBeNull();
    const [a, b] = ladder.datasets[1]!;
    expect(await firstCycle(profiling([]), [{ from: a, to: b }, { from: ladder.top, to: raw }])).toBeNull();
  });

  it('finds a cycle longer than the traversals\' 1,000-hop depth limit', async () => {
    const chain = await createFineTuningChain(driver, unique('prj-cycle-long'), 1200);
    // top is 1,200 hops above bottom: bottom -> top closes a 1,201-hop cycle.
    expect(await firstCycle(profiling([]), [{ from: chain.top, to: chain.bottom }])).toBeNull();
    expect(await firstCycle(profiling([]), [{ from: chain.bottom, to: chain.top }])).toMatchObject({ from: chain.bottom, to: chain.top, hops: 1201 });
  });

  it('visits each node at most once: a breadth-first search, db hits linear in the graph between the ends', async () => {
    const plans: any[] = [];
    await firstCycle(profiling(plans), [{ from: ladder.datasets[0]![0], to: ladder.top }]);
    const plan = operators(plans[0]).join(' ');
    expect(plan).toMatch(/ShortestPath/);
    expect(plan).not.toMatch(/VarLengthExpand\(All\)|VarLengthExpand\(Into\)/);
    // 4 * 41 nodes upstream, each with at most 2 outgoing lineage edges: hundreds of hits, not 2^41.
    expect(totalDbHits(plans[0])).toBeLessThan(50 * 4 * LAYERS);
  });

  it('costs a few lookups for a source without downstream, however large the target\'s upstream', async () => {
    const fresh = unique('dsv_fresh');
    await driver.executeQuery('CREATE (:DatasetVersion:LineageNode {id: $fresh, projectId: $project, createdAt: datetime()})', { fresh, project: unique('prj-cycle-fresh') });
    const plans: any[] = [];
    expect(await firstCycle(profiling(plans), [{ from: fresh, to: ladder.top }])).toBeNull();
    // The target's upstream is 4 * 41 nodes; the search from the source side ends at once. (The
    // search alone: this test database has no id index, so finding the two ends is a label scan.)
    const search = (plan: any): any => (plan.operatorType.startsWith('ShortestPath') ? plan : plan.children.map(search).find(Boolean));
    expect(search(plans[0]).dbHits).toBeLessThan(40);
  });
});
