/**
 * The cycle check of lineage writes (firstCycle): right answers, and its cost shape from PROFILE
 * on a diamond ladder (2^41 distinct paths): a pruning breadth-first expansion that visits each
 * node of the target's upstream once, never an enumeration of paths.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstCycle } from '../../../src/neo4j/queries/lineage.ts';
import type { Tx } from '../../../src/neo4j/executor.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { createDiamondLadder, operators, totalDbHits, type DiamondLadder } from '../../support/lineage-graphs.ts';

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

  it('visits each upstream node once: a pruning breadth-first expansion, db hits linear in the upstream', async () => {
    const plans: any[] = [];
    await firstCycle(profiling(plans), [{ from: ladder.datasets[0]![0], to: ladder.top }]);
    const plan = operators(plans[0]).join(' ');
    expect(plan).toMatch(/VarLengthExpand\(Pruning,BFS/);
    expect(plan).not.toMatch(/VarLengthExpand\(All\)|VarLengthExpand\(Into\)|ShortestPath/);
    // 4 * 41 nodes upstream, each with at most 2 outgoing lineage edges: hundreds of hits, not 2^41.
    expect(totalDbHits(plans[0])).toBeLessThan(50 * 4 * LAYERS);
  });
});
