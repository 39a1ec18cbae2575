/**
 * The per-request cost of small reads, in statements and transactions: a read of one
 * statement is its own auto-commit transaction (one round trip instead of BEGIN, RUN,
 * COMMIT), a traversal that needs its edges reads them in the reach query's transaction, and
 * a count-only traversal runs no reach query at all.
 */
import type { Driver } from 'neo4j-driver';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { ADMIN, startTestGateway, type TestGateway } from '../../support/gateway.ts';
import { testDriver } from '../../support/graph.ts';
import { copyNodes, recordOneOfEach, type OneOfEach } from '../../support/lineage.ts';

let server: TestGateway;
let driver: Driver;
let seed: OneOfEach;
beforeAll(async () => {
  server = await startTestGateway();
  driver = testDriver();
  seed = await recordOneOfEach(server);
}, 60_000);
afterAll(async () => {
  await driver.close();
  await server.stop();
});

const auto = (unit: string) => ({ unit, autoCommit: true });

describe('statements and transactions per request', () => {
  it('node(id) is one statement in an auto-commit transaction', async () => {
    const data = await server.ok<any>('query($id: ID!) { node(id: $id) { id kind } }', { id: seed.Run });
    expect(data.node).toEqual({ id: seed.Run, kind: 'RUN' });
    expect(server.lastQueries()).toEqual([auto('nodes.byIds')]);
  });

  it('_entities of several types and many keys is one auto-commit statement', async () => {
    const copies = await copyNodes(driver, 'ModelVersion', seed.ModelVersion, 40);
    const representations = [
      ...[seed.ModelVersion, ...copies].map((id) => ({ __typename: 'ModelVersion', id })),
      { __typename: 'Run', id: seed.Run },
      { __typename: 'Project', id: seed.Project },
    ];
    const data = await server.ok<any>(
      'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on ModelVersion { id number } ... on Run { id name } ... on Project { id } } }',
      { r: representations },
    );
    expect(data._entities).toHaveLength(43);
    expect(data._entities.every((entity: unknown) => entity !== null)).toBe(true);
    expect(server.lastQueries()).toEqual([auto('nodes.byIds')]);
  });

  it('a traversal without edges reads the root and the reach, each in one round trip', async () => {
    const data = await server.ok<any>('query($id: ID!) { node(id: $id) { upstream(maxDepth: 3, limit: 10) { truncated nodes { depth node { id kind } } } } }', { id: seed.ModelVersion });
    expect(data.node.upstream.nodes.map((hit: any) => hit.node.id).sort()).toEqual([seed.Checkpoint, seed.Run, seed.DatasetVersion, seed.Artifact].sort());
    expect(server.lastQueries()).toEqual([auto('nodes.byIds'), auto('lineage.upstream')]);
  });

  it('a traversal with edges reads the reach and the edges in one statement, one round trip', async () => {
    const data = await server.ok<any>('query($id: ID!) { node(id: $id) { upstream(maxDepth: 3, limit: 10) { nodes { node { id } } edges { from to kind } } } }', { id: seed.ModelVersion });
    expect(data.node.upstream.edges).toContainEqual({ from: seed.ModelVersion, to: seed.Checkpoint, kind: 'DERIVED_FROM' });
    expect(server.lastQueries()).toEqual([auto('nodes.byIds'), auto('lineage.upstream')]);
  });

  it('reachableCount alone runs the count, not the reach query, and counts what a full traversal returns', async () => {
    const full = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 5, limit: 100) { nodes { node { id } } } } }', { id: seed.DatasetVersion });
    const counted = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 5, limit: 1) { reachableCount } } }', { id: seed.DatasetVersion });
    expect(counted.node.downstream.reachableCount).toBe(full.node.downstream.nodes.length);
    expect(counted.node.downstream.reachableCount).toBe(4); // run, checkpoint, model version, deployment
    expect(server.lastQueries()).toEqual([auto('nodes.byIds'), auto('lineage.count')]);
  });

  it('reachableCount alone still rejects arguments out of range, before any lineage query', async () => {
    const result = await server.gql('query($id: ID!) { node(id: $id) { downstream(maxDepth: 5, limit: 0) { reachableCount } } }', { id: seed.DatasetVersion });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(server.lastQueries()).toEqual([auto('nodes.byIds')]);
  });
});

describe('HTTP answers', () => {
  it('carry no ETag: the body is not hashed for a header a GraphQL POST never revalidates with', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ADMIN },
      body: JSON.stringify({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id: seed.Run } }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data.node.id).toBe(seed.Run);
    expect(response.headers.get('etag')).toBeNull();
  });
});

describe('executor.readOne', () => {
  const executor = () => createExecutor({ driver, database: 'neo4j', logger: pino({ level: 'silent' }) });

  it('returns the statement\'s records', async () => {
    const records = await executor().readOne('test.one', (tx) => tx.run('UNWIND [1, 2, 3] AS x RETURN x'));
    expect(records.map((r) => r.get('x'))).toEqual([1, 2, 3]);
  });

  it('refuses a second statement: a unit of work of several statements needs a transaction', async () => {
    await expect(executor().readOne('test.two', async (tx) => {
      await tx.run('RETURN 1');
      return tx.run('RETURN 2');
    })).rejects.toThrow(/second statement/);
  });

  it('maps Neo4j errors like read does and does not retry a client error', async () => {
    await expect(executor().readOne('test.bad', (tx) => tx.run('RETURN $missing'))).rejects.toMatchObject({ code: 'Neo.ClientError.Statement.ParameterMissing' });
  });
});
