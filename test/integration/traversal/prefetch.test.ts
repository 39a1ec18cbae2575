/**
 * node(id) starts the traversals its selection asks of the node next to the root's own read
 * (src/graphql/resolvers/lineage-node.ts `prefetchTraversals`): one round trip instead of two, the same
 * answers as a traversal field that reads on its own (`nodes(ids)` does not prefetch), and
 * nothing of a root that is missing or unreadable.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/domain/ids.ts';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';
import { recordOneOfEach, type OneOfEach } from '../../support/lineage.ts';

let seed: OneOfEach;
const server = useGateway();
beforeAll(async () => {
  seed = await recordOneOfEach(server);
}, 60_000);

const GRAPH = 'truncated nodes { depth node { id kind createdAt } } edges { from to kind }';

/** The same selection through node(id) (prefetched) and through nodes(ids) (read by the field itself). */
async function bothWays(selection: string, id: string) {
  const viaNode = (await server.ok<any>(`query($id: ID!) { node(id: $id) { ${selection} } }`, { id })).node;
  const nodeRoundTrips = server.lastRoundTrips();
  const viaNodes = (await server.ok<any>(`query($id: ID!) { nodes(ids: [$id]) { ${selection} } }`, { id })).nodes[0];
  return { viaNode, viaNodes, nodeRoundTrips, nodesRoundTrips: server.lastRoundTrips() };
}

describe('traversals started by node(id)', () => {
  it('answer what the field reads on its own, in one round trip instead of two', async () => {
    for (const [selection, id] of [
      [`upstream(maxDepth: 10) { ${GRAPH} }`, seed.Deployment],
      [`downstream(maxDepth: 10, limit: 2) { ${GRAPH} }`, seed.DatasetVersion],
      ['downstream(maxDepth: 10, limit: 1) { reachableCount }', seed.DatasetVersion],
      [`up: upstream(maxDepth: 1) { ${GRAPH} } deep: upstream(maxDepth: 4) { nodes { depth node { id } } reachableCount }`, seed.Deployment],
    ] as const) {
      const { viaNode, viaNodes, nodeRoundTrips, nodesRoundTrips } = await bothWays(selection, id);
      expect(viaNode, selection).toEqual(viaNodes);
      expect(nodeRoundTrips, selection).toBe(1);
      expect(nodesRoundTrips, selection).toBeGreaterThanOrEqual(2);
    }
  });

  it('start only what applies to the node: a fragment on another type is left to its field', async () => {
    const selection = `... on Run { upstream(maxDepth: 1) { nodes { node { id } } } } ... on ModelVersion { upstream(maxDepth: 2) { ${GRAPH} } }`;
    const { viaNode, viaNodes, nodeRoundTrips } = await bothWays(selection, seed.ModelVersion);
    expect(viaNode).toEqual(viaNodes);
    expect(viaNode.upstream.nodes.map((hit: any) => hit.node.id).sort()).toEqual([seed.Checkpoint, seed.Run].sort()); // maxDepth 2: the ModelVersion fragment's
    expect(nodeRoundTrips).toBe(1);
  });

  it('leave fields under @include or @skip to be read as before', async () => {
    const selection = `upstream(maxDepth: 10) @include(if: true) { ${GRAPH} }`;
    const { viaNode, viaNodes, nodeRoundTrips } = await bothWays(selection, seed.Deployment);
    expect(viaNode).toEqual(viaNodes);
    expect(nodeRoundTrips).toBe(2);
  });

  it('are dropped unread when the root does not exist, even with arguments out of range', async () => {
    for (const selection of [`upstream(maxDepth: 10) { ${GRAPH} }`, `upstream(maxDepth: 0) { ${GRAPH} }`, 'downstream(limit: 0) { reachableCount }']) {
      const result = await server.gql<any>(`query($id: ID!) { node(id: $id) { ${selection} } }`, { id: newId('Run') });
      expect(result, selection).toEqual({ data: { node: null } });
    }
  });

  it('still report arguments out of range on a node that exists', async () => {
    const result = await server.gql<any>(`query($id: ID!) { node(id: $id) { upstream(maxDepth: 0) { ${GRAPH} } } }`, { id: seed.Run });
    expect(result.data).toEqual({ node: null });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.path).toEqual(['node', 'upstream']);
  });

  it('leave an argument the variables make invalid to the field, which reports it as before', async () => {
    const result = await server.gql<any>(`query($id: ID!, $depth: Int) { node(id: $id) { id upstream(maxDepth: $depth) { ${GRAPH} } } }`, { id: seed.Run, depth: null });
    expect(result.data).toEqual({ node: null });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toMatch(/maxDepth/);
    expect(result.errors![0]!.path).toEqual(['node', 'upstream']); // not node's: node(id) itself did not fail
  });

  it('return nothing of a root the viewer cannot read', async () => {
    const other = (await server.ok<any>('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { input: { name: unique('prefetch-other') } })).createProject.id;
    const { token } = (await server.ok<any>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
      input: { project: other, role: 'VIEWER', name: unique('viewer') },
    })).createApiToken;
    const result = await server.gql<any>(
      `query($id: ID!) { node(id: $id) { upstream(maxDepth: 10) { ${GRAPH} } downstream(maxDepth: 10) { reachableCount } } }`,
      { id: seed.Run },
      { authorization: `Bearer ${token}` },
    );
    expect(result).toEqual({ data: { node: null } });
  });
});
