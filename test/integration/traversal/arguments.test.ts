/** Traversal arguments out of range and unknown ids: a clear code, the offending field, nothing written. */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/domain/ids.ts';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';
import { createDiamondLadder, type DiamondLadder } from '../../support/lineage-graphs.ts';

let driver: Driver;
let ladder: DiamondLadder;
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
  ladder = await createDiamondLadder(driver, unique('prj-args'), 3);
});
afterAll(async () => {
  await driver.close();
});

const TRAVERSE = `query($id: ID!, $maxDepth: Int!, $limit: Int!, $kinds: [NodeKind!], $asOf: DateTime) {
  node(id: $id) {
    up: upstream(maxDepth: $maxDepth, limit: $limit, kinds: $kinds, asOf: $asOf) { truncated }
  }
}`;
const DOWN = `query($id: ID!, $maxDepth: Int!, $limit: Int!, $kinds: [NodeKind!]) {
  node(id: $id) { downstream(maxDepth: $maxDepth, limit: $limit, kinds: $kinds) { truncated } }
}`;
const PATH = `query($from: ID!, $to: ID!, $maxDepth: Int!) { lineagePath(from: $from, to: $to, maxDepth: $maxDepth) { id } }`;

async function expectError(query: string, variables: Record<string, unknown>, code: string, field?: string) {
  const before = await graphCounts(driver);
  const result = await server.gql(query, variables);
  expect(result.errors?.[0]?.extensions?.code).toBe(code);
  if (field) expect(result.errors?.[0]?.extensions?.field).toBe(field);
  expect(await graphCounts(driver)).toEqual(before);
}

describe('traversal arguments', () => {
  it.each([
    ['maxDepth 0', { maxDepth: 0 }, 'maxDepth'],
    ['maxDepth 1001', { maxDepth: 1001 }, 'maxDepth'],
    ['maxDepth -5', { maxDepth: -5 }, 'maxDepth'],
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 10001', { limit: 10_001 }, 'limit'],
    ['an empty kinds list', { kinds: [] }, 'kinds'],
  ])('rejects %s with BAD_USER_INPUT', async (_name, args, field) => {
    await expectError(TRAVERSE, { id: ladder.top, maxDepth: 10, limit: 100, ...args }, 'BAD_USER_INPUT', field);
    await expectError(DOWN, { id: ladder.top, maxDepth: 10, limit: 100, ...args }, 'BAD_USER_INPUT', field);
  });

  it('rejects a kind and an asOf that are not values of their types', async () => {
    await expectError(TRAVERSE, { id: ladder.top, maxDepth: 10, limit: 100, kinds: ['MODEL'] }, 'BAD_USER_INPUT');
    await expectError(TRAVERSE, { id: ladder.top, maxDepth: 10, limit: 100, asOf: 'yesterday' }, 'BAD_USER_INPUT');
  });

  it('accepts the bounds themselves', async () => {
    const data = await server.ok<any>(TRAVERSE, { id: ladder.top, maxDepth: 1000, limit: 10_000 });
    expect(data.node.up.truncated).toBe(false);
    const one = await server.ok<any>(TRAVERSE, { id: ladder.top, maxDepth: 1, limit: 1 });
    expect(one.node.up.truncated).toBe(true);
  });

  it('answers null for node() of an unknown id, and NOT_FOUND for lineagePath ends that do not exist', async () => {
    expect((await server.ok<any>(TRAVERSE, { id: newId('Run'), maxDepth: 10, limit: 10 })).node).toBeNull();
    await expectError(PATH, { from: newId('Run'), to: ladder.datasets[0]![0], maxDepth: 10 }, 'NOT_FOUND', 'from');
    await expectError(PATH, { from: ladder.top, to: newId('DatasetVersion'), maxDepth: 10 }, 'NOT_FOUND', 'to');
    await expectError(PATH, { from: ladder.top, to: 'nonsense', maxDepth: 10 }, 'NOT_FOUND', 'to');
  });

  it('rejects a lineagePath maxDepth out of range', async () => {
    await expectError(PATH, { from: ladder.top, to: ladder.datasets[0]![0], maxDepth: 0 }, 'BAD_USER_INPUT', 'maxDepth');
    await expectError(PATH, { from: ladder.top, to: ladder.datasets[0]![0], maxDepth: 1001 }, 'BAD_USER_INPUT', 'maxDepth');
  });
});
