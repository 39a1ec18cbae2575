/**
 * Traversals on diamond ladders: 2^layers distinct paths, yet every node is visited once.
 * The graphs are inserted with set-based Cypher (test/support/lineage-graphs.ts); the answers come
 * through the gateway, and the cost shape from PROFILE of the very queries the gateway runs.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, Tx } from '../../../src/neo4j/executor.ts';
import { traverseLineage } from '../../../src/lineage/traversal.ts';
import { useGateway } from '../../support/gateway.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { createDiamondLadder, findOperator, operators, totalDbHits, type DiamondLadder, type PlanNode } from '../../support/lineage-graphs.ts';

const LAYERS = 41; // 2^41 > 2^40 distinct paths from the top down to the raw data

let driver: Driver;
let ladder: DiamondLadder;
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
  ladder = await createDiamondLadder(driver, unique('prj-diamond'), LAYERS);
});
afterAll(async () => {
  await driver.close();
});

const UPSTREAM = `query($id: ID!, $maxDepth: Int!, $limit: Int!, $kinds: [NodeKind!]) {
  node(id: $id) {
    id
    upstream(maxDepth: $maxDepth, limit: $limit, kinds: $kinds) {
      root { id }
      nodes { depth node { id kind } }
      edges { from to kind role }
      truncated
    }
  }
}`;

const DOWNSTREAM = `query($id: ID!, $maxDepth: Int!, $limit: Int!) {
  node(id: $id) { downstream(maxDepth: $maxDepth, limit: $limit) { nodes { depth node { id kind } } edges { from to } truncated } }
}`;

/** Every node upstream of the top with its minimum depth, from the ladder's construction. */
function expectedUpstream(l: DiamondLadder, layers: number): Map<string, number> {
  const expected = new Map<string, number>([[l.runs[layers]![0], 1]]);
  for (let i = 0; i < layers; i++) {
    for (const id of l.datasets[i]!) expected.set(id, 2 * (layers - i));
    for (const id of l.runs[i] ?? []) expected.set(id, 2 * (layers - i) + 1);
  }
  return expected;
}

async function upstream(id: string, variables: Record<string, unknown>) {
  return (await server.ok<any>(UPSTREAM, { id, maxDepth: 1000, limit: 1000, ...variables })).node.upstream;
}

describe('upstream on a diamond ladder with 2^41 paths', () => {
  it('returns every ancestor once, at its minimum depth, nearest first', async () => {
    const graph = await upstream(ladder.top, {});
    const expected = expectedUpstream(ladder, LAYERS);
    expect(graph.root.id).toBe(ladder.top);
    expect(graph.nodes).toHaveLength(4 * LAYERS - 1);
    expect(new Map(graph.nodes.map((hit: any) => [hit.node.id, hit.depth]))).toEqual(expected);
    const depths = graph.nodes.map((hit: any) => hit.depth);
    expect(depths).toEqual([...depths].sort((a, b) => a - b));
    expect(graph.truncated).toBe(false);
  });

  it('returns every lineage edge among the root and the returned nodes', async () => {
    const graph = await upstream(ladder.top, {});
    expect(graph.edges).toHaveLength(6 * LAYERS - 3);
    const ids = new Set([ladder.top, ...graph.nodes.map((hit: any) => hit.node.id)]);
    for (const edge of graph.edges) {
      expect(ids.has(edge.from) && ids.has(edge.to)).toBe(true);
      expect(['USED', 'GENERATED_BY']).toContain(edge.kind);
    }
    expect(graph.edges).toContainEqual({ from: ladder.runs[1]![1], to: ladder.datasets[0]![1], kind: 'USED', role: 'eval' });
  });

  it('hydrates the returned nodes from the traversal itself', async () => {
    await upstream(ladder.top, {});
    // node(id): 1; the reachable set with the nodes' rows and the edges: 1; no query per label.
    expect(server.lastQueryCount()).toBe(2);
  });

  it('returns each hit with the fields node(id) reads, through fragments and aliases', async () => {
    const FIELDS = `fragment Fields on LineageNode {
      id kind displayName createdAt createdBy { id }
      ... on Run { name type status startedAt endedAt paramsJson: params }
      ... on DatasetVersion { number label digest uri sizeBytes recordCount properties }
    }`;
    const { node } = await server.ok<any>(
      `query($id: ID!) { node(id: $id) { upstream(maxDepth: 1000, limit: 1000) { ...Graph } } }
       fragment Graph on LineageGraph { hits: nodes { node { ...Fields } } links: edges { from to } }
       ${FIELDS}`,
      { id: ladder.top },
    );
    const hits = node.upstream.hits.map((hit: any) => hit.node);
    expect(hits).toHaveLength(4 * LAYERS - 1);
    expect(node.upstream.links).toHaveLength(6 * LAYERS - 3);
    const { nodes } = await server.ok<any>(`query($ids: [ID!]!) { nodes(ids: $ids) { ...Fields } } ${FIELDS}`, { ids: hits.map((hit: any) => hit.id) });
    expect(hits).toEqual(nodes);
    expect(hits.find((hit: any) => hit.kind === 'RUN').startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('reads neither rows nor edges that the selection does not ask for', async () => {
    const full = await upstream(ladder.top, {});
    const { node } = await server.ok<any>(`query($id: ID!) { node(id: $id) { upstream(maxDepth: 1000, limit: 1000) { nodes { depth node { __typename id kind } } truncated } } }`, { id: ladder.top });
    // node(id) and the reachable set only.
    expect(server.lastQueryCount()).toBe(2);
    expect(node.upstream.nodes.map((hit: any) => [hit.depth, hit.node.id, hit.node.kind])).toEqual(full.nodes.map((hit: any) => [hit.depth, hit.node.id, hit.node.kind]));
    expect(node.upstream.nodes.filter((hit: any) => hit.node.__typename === 'Run')).toHaveLength(2 * LAYERS - 1);
  });

  it('keeps only the requested kinds, still passing through the others', async () => {
    const graph = await upstream(ladder.top, { kinds: ['DATASET_VERSION'] });
    expect(graph.nodes).toHaveLength(2 * LAYERS);
    expect(graph.nodes.every((hit: any) => hit.node.kind === 'DATASET_VERSION')).toBe(true);
    expect(graph.nodes.at(-1).depth).toBe(2 * LAYERS);
    expect(graph.edges).toEqual([]); // dataset versions meet only through runs, which were filtered out
    expect(graph.truncated).toBe(false);
  });

  it('cuts at limit, nearest first, and says so', async () => {
    const graph = await upstream(ladder.top, { limit: 5 });
    expect(graph.nodes.map((hit: any) => hit.depth)).toEqual([1, 2, 2, 3, 3]);
    expect(graph.truncated).toBe(true);
    expect(graph.edges).toHaveLength(1 + 2 + 2); // top -> run -> 2 dataset versions -> their 2 runs
    const exact = await upstream(ladder.top, { limit: 4 * LAYERS - 1 });
    expect(exact.nodes).toHaveLength(4 * LAYERS - 1);
    expect(exact.truncated).toBe(false);
  });

  it('counts the whole answer whatever the limit, with the same kinds and depth', async () => {
    const COUNT = `query($id: ID!, $maxDepth: Int!, $limit: Int!, $kinds: [NodeKind!]) {
      node(id: $id) { upstream(maxDepth: $maxDepth, limit: $limit, kinds: $kinds) { reachableCount nodes { depth } } } }`;
    const count = async (variables: Record<string, unknown>) => (await server.ok<any>(COUNT, { id: ladder.top, maxDepth: 1000, limit: 5, ...variables })).node.upstream;
    const all = await count({});
    expect(all.reachableCount).toBe(expectedUpstream(ladder, LAYERS).size);
    expect(all.nodes).toHaveLength(5);
    // A filter that was not asked for is not in the statements (it would be evaluated per node).
    const searches = () => server.lastStatements().filter((statement) => statement.includes('min(length(p))'));
    expect(searches()).toHaveLength(2);
    for (const statement of searches()) expect(statement).not.toMatch(/labels\(n\)|\$projectIds|WHERE depth/);
    expect((await count({ kinds: ['DATASET_VERSION'] })).reachableCount).toBe(2 * LAYERS);
    for (const statement of searches()) expect(statement).toContain('any(l IN labels(n) WHERE l IN $labels)');
    expect((await count({ maxDepth: 3 })).reachableCount).toBe(5);
    const down = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 1000, limit: 1) { reachableCount } } }', { id: ladder.datasets[0]![0] });
    expect(down.node.downstream.reachableCount).toBe(4 * LAYERS); // every node of the ladder (4 per layer + 2 raw) but the two raw ones
  });

  it('cuts at maxDepth and says so only when something lies deeper', async () => {
    const shallow = await upstream(ladder.top, { maxDepth: 3 });
    expect(shallow.nodes.map((hit: any) => hit.depth)).toEqual([1, 2, 2, 3, 3]);
    expect(shallow.truncated).toBe(true);
    const exact = await upstream(ladder.top, { maxDepth: 2 * LAYERS });
    expect(exact.nodes).toHaveLength(4 * LAYERS - 1);
    expect(exact.truncated).toBe(false);
  });

  it('answers downstream from the raw data to every derived node', async () => {
    const graph = (await server.ok<any>(DOWNSTREAM, { id: ladder.datasets[0]![0], maxDepth: 1000, limit: 1000 })).node.downstream;
    expect(graph.nodes).toHaveLength(4 * LAYERS);
    const depth = new Map(graph.nodes.map((hit: any) => [hit.node.id, hit.depth]));
    expect(depth.get(ladder.runs[1]![0])).toBe(1);
    expect(depth.get(ladder.datasets[LAYERS]![1])).toBe(2 * LAYERS);
    expect(graph.truncated).toBe(false);
    expect(graph.edges).toHaveLength(3 * 2 * LAYERS - 2); // all but the USED edges into the sibling raw version
  });
});

describe('lineagePath on a diamond ladder', () => {
  const PATH = `query($from: ID!, $to: ID!, $maxDepth: Int!) { lineagePath(from: $from, to: $to, maxDepth: $maxDepth) { id kind } }`;

  it('returns one shortest derivation path, both ends included', async () => {
    const target = ladder.datasets[0]![1];
    const { lineagePath } = await server.ok<any>(PATH, { from: ladder.top, to: target, maxDepth: 1000 });
    expect(lineagePath).toHaveLength(2 * LAYERS + 1);
    expect(lineagePath[0].id).toBe(ladder.top);
    expect(lineagePath.at(-1).id).toBe(target);
    expect(lineagePath.map((n: any) => n.kind)).toEqual(lineagePath.map((_: unknown, i: number) => (i % 2 === 0 ? 'DATASET_VERSION' : 'RUN')));
    for (const [i, node] of lineagePath.entries()) {
      if (i % 2 === 1) expect(ladder.runs[LAYERS - (i - 1) / 2]).toContain(node.id);
      else expect(ladder.datasets[LAYERS - i / 2]).toContain(node.id);
    }
  });

  it('is null when the target is downstream, beyond maxDepth, or the node itself', async () => {
    const bottom = ladder.datasets[0]![0];
    expect((await server.ok<any>(PATH, { from: bottom, to: ladder.top, maxDepth: 1000 })).lineagePath).toBeNull();
    expect((await server.ok<any>(PATH, { from: ladder.top, to: bottom, maxDepth: 2 * LAYERS - 1 })).lineagePath).toBeNull();
    expect((await server.ok<any>(PATH, { from: ladder.top, to: ladder.top, maxDepth: 10 })).lineagePath).toBeNull();
  });
});

describe('cost of a traversal on diamond ladders', () => {
  /** An executor whose every statement runs under PROFILE; collects the plans. */
  function profilingExecutor(plans: any[]): Executor {
    const tx: Tx = {
      unit: 'test.profile',
      async run(query, params) {
        const result = await driver.executeQuery(`PROFILE ${query}`, params ?? {}, { routing: 'READ' });
        plans.push(result.summary.profile);
        return result.records;
      },
    };
    const executor: Executor = { read: (_unit, work) => work(tx), readOne: (_unit, work) => work(tx), writeOne: (_unit, work) => work(tx), write: (_unit, work) => work(tx), observed: () => executor };
    return executor;
  }

  async function profile(l: DiamondLadder, asOf: string | null, limit = 10_000) {
    const plans: any[] = [];
    const graph = await traverseLineage(profilingExecutor(plans), { id: l.top }, 'UPSTREAM', { maxDepth: 1000, limit, asOf });
    return { graph, plans, dbHits: plans.reduce((sum, plan) => sum + totalDbHits(plan), 0) };
  }

  it('plans the reachable set as a pruning breadth-first expansion and the edges as expansions of its rows, in one statement, asOf included', async () => {
    for (const asOf of [null, new Date().toISOString()]) {
      const { plans } = await profile(ladder, asOf);
      expect(plans).toHaveLength(1);
      // The answer's rows, then (UNION ALL) the root's: each expands its node's outgoing relationships after the limit.
      const [answer, root] = findOperator(plans[0], /^Union/)!.children as [PlanNode, PlanNode];
      const [limited, edges] = findOperator(answer, /^RollUpApply/)!.children as [PlanNode, PlanNode];
      const reach = operators(limited).join(' ');
      expect(reach).toMatch(/VarLengthExpand\(Pruning,BFS/);
      expect(reach).not.toMatch(/VarLengthExpand\(All\)|ShortestPath/);
      // Levels come out in depth order: a partial sort (or top) streams them into the limit, nothing eager collects them all.
      expect(reach).toMatch(/^PartialTop|^PartialSort/);
      expect(operators(plans[0]).join(' ')).not.toMatch(/Eager|NodeIndexScan|NodeByLabelScan/);
      expect(operators(edges).join(' ')).toMatch(/^Projection.* Expand\(All\)\S* Argument\S*$/);
      expect(operators(root).join(' ')).toMatch(/NodeUniqueIndexSeek/);
      expect(operators(root).join(' ')).not.toMatch(/VarLengthExpand/);
    }
  });

  it('grows db hits linearly with the number of layers, asOf included', async () => {
    const ladders = new Map<number, DiamondLadder>();
    for (const layers of [10, 20, 40]) ladders.set(layers, await createDiamondLadder(driver, unique('prj-cost'), layers));
    const asOf = new Date(Date.now() + 1000).toISOString();
    for (const at of [null, asOf]) {
      const hits = new Map<number, number>();
      for (const [layers, l] of ladders) {
        const { graph, dbHits } = await profile(l, at);
        expect(graph.hits).toHaveLength(4 * layers - 1);
        hits.set(layers, dbHits);
      }
      // Doubling the layers doubles the nodes (and squares the number of paths).
      const seen = `db hits by layers: ${JSON.stringify([...hits])}`;
      expect(hits.get(20)! / hits.get(10)!, seen).toBeLessThan(2.2);
      expect(hits.get(40)! / hits.get(20)!, seen).toBeLessThan(2.2);
      expect(hits.get(40)!).toBeGreaterThan(hits.get(20)!);
    }
  });

  it('stops searching once limit is reached, whatever lies beyond', async () => {
    const small = await createDiamondLadder(driver, unique('prj-cost'), 10);
    const near = await profile(small, null, 5);
    const far = await profile(ladder, null, 5);
    expect(near.graph.hits).toHaveLength(5);
    expect(far.graph.hits).toHaveLength(5);
    expect(near.graph.truncated && far.graph.truncated).toBe(true);
    // The 41-layer ladder has four times the nodes of the 10-layer one; the search stops at the same level.
    expect(far.dbHits).toBeLessThanOrEqual(near.dbHits * 1.1);
  });
});
