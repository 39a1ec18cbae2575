/** Fine-tuning on fine-tuning: a chain 1,000 relationships deep answers maxDepth 1000. */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { createFineTuningChain } from '../../support/lineage-graphs.ts';

let driver: Driver;
let chain: { top: string; bottom: string; all: string[] };
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
  chain = await createFineTuningChain(driver, unique('prj-chain'), 1000);
});
afterAll(async () => {
  await driver.close();
});

const UPSTREAM = `query($id: ID!, $maxDepth: Int!) {
  node(id: $id) { upstream(maxDepth: $maxDepth) { nodes { depth node { id kind } } edges { from to kind } truncated } }
}`;

describe('a fine-tuning chain 1,000 relationships deep', () => {
  it('answers maxDepth 1000 down to the first checkpoint', async () => {
    const graph = (await server.ok<any>(UPSTREAM, { id: chain.top, maxDepth: 1000 })).node.upstream;
    expect(graph.nodes).toHaveLength(1000);
    expect(graph.nodes.map((hit: any) => hit.node.id)).toEqual(chain.all.slice(1));
    expect(graph.nodes.map((hit: any) => hit.depth)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(graph.nodes.at(-1)).toEqual({ depth: 1000, node: { id: chain.bottom, kind: 'CHECKPOINT' } });
    expect(graph.edges).toHaveLength(1000);
    expect(graph.truncated).toBe(false);
    // node(id), then one statement for the reachable set with the hits' rows and the edges.
    expect(server.lastQueryCount()).toBe(2);
  });

  it('says truncated when maxDepth stops one short of the bottom', async () => {
    const graph = (await server.ok<any>(UPSTREAM, { id: chain.top, maxDepth: 999 })).node.upstream;
    expect(graph.nodes).toHaveLength(999);
    expect(graph.nodes.at(-1).depth).toBe(999);
    expect(graph.truncated).toBe(true);
  });

  it('finds the derivation path from the top to the bottom', async () => {
    const { lineagePath } = await server.ok<any>('query($from: ID!, $to: ID!) { lineagePath(from: $from, to: $to, maxDepth: 1000) { id } }', {
      from: chain.top,
      to: chain.bottom,
    });
    expect(lineagePath.map((n: any) => n.id)).toEqual(chain.all);
  });

  it('answers downstream from the bottom to the top', async () => {
    const graph = (await server.ok<any>(`query($id: ID!) { node(id: $id) { downstream(maxDepth: 1000) { nodes { depth node { id } } truncated } } }`, { id: chain.bottom })).node.downstream;
    expect(graph.nodes).toHaveLength(1000);
    expect(graph.nodes.at(-1)).toEqual({ depth: 1000, node: { id: chain.top } });
    expect(graph.truncated).toBe(false);
  });
});
