/**
 * The per-request cost of small reads and writes, in statements, transactions and round trips:
 * a read of one statement is its own auto-commit transaction (one round trip instead of BEGIN,
 * RUN, COMMIT), a traversal that needs its edges reads them in the reach query itself, a
 * count-only traversal runs no reach query at all, and a mutation sends the statements that do
 * not wait for each other's answers together.
 */
import type { Driver } from 'neo4j-driver';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { ADMIN, useGateway } from '../../support/gateway.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { copyNodes, recordOneOfEach, type OneOfEach } from '../../support/lineage.ts';

let driver: Driver;
let seed: OneOfEach;
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
  seed = await recordOneOfEach(server);
}, 60_000);
afterAll(async () => {
  await driver.close();
});

const auto = (unit: string) => ({ unit, autoCommit: true });
/** Statements sent side by side arrive in either order. */
const sorted = (queries: readonly { unit: string; autoCommit: boolean }[]) => [...queries].sort((a, b) => a.unit.localeCompare(b.unit));

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

  it('a traversal without edges reads the root and the reach side by side, each in one statement: one round trip', async () => {
    const data = await server.ok<any>('query($id: ID!) { node(id: $id) { upstream(maxDepth: 3, limit: 10) { truncated nodes { depth node { id kind } } } } }', { id: seed.ModelVersion });
    expect(data.node.upstream.nodes.map((hit: any) => hit.node.id).sort()).toEqual([seed.Checkpoint, seed.Run, seed.DatasetVersion, seed.Artifact].sort());
    expect(sorted(server.lastQueries())).toEqual([auto('lineage.upstream'), auto('nodes.byIds')]);
    expect(server.lastRoundTrips()).toBe(1);
  });

  it('registerDatasetVersion sends its lock, the lookups under it, the version with its event and the checks in one auto-commit statement: one round trip', async () => {
    const register = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id number } }';
    const project = (await server.ok<any>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('round-trips') })).createProject.id;
    const input = (n: number) => ({ project, dataset: 'clicks', uri: `s3://clicks/${n}`, digest: `sha256:${n.toString(16).padStart(64, '0')}` });
    const tx = { unit: 'registerDatasetVersion', autoCommit: false };
    const first = (await server.ok<any>(register, { input: input(1) })).registerDatasetVersion;
    // First use of the dataset: the auto-commit statement finds no dataset and writes nothing |
    // a transaction: the statement again | the dataset with version 1, its event and the checks.
    expect(server.lastQueries()).toEqual([auto('registerDatasetVersion'), tx, tx]);
    expect(server.lastRoundTrips()).toBe(3);
    const second = (await server.ok<any>(register, { input: input(2) })).registerDatasetVersion;
    expect(server.lastQueries()).toEqual([auto('registerDatasetVersion')]);
    expect(server.lastRoundTrips()).toBe(1);
    expect(second.number).toBe(first.number + 1);
    // The event names the version it follows, read under the lock by the same statement.
    const [event] = (await driver.executeQuery('MATCH (e:Event {subjectId: $id}) RETURN e.previousId AS previousId', { id: second.id })).records;
    expect(event!.get('previousId')).toBe(first.id);
    // Re-sending a digest: the same statement finds it, gives the number back and creates nothing.
    expect((await server.ok<any>(register, { input: input(2) })).registerDatasetVersion).toEqual(second);
    expect(server.lastRoundTrips()).toBe(1);
    const third = (await server.ok<any>(register, { input: input(3) })).registerDatasetVersion;
    expect(third.number).toBe(second.number + 1);
  });

  it('the single-node writes a pipeline sends: startRun, logCheckpoint and registerModelVersion one round trip each (two for a new model)', async () => {
    const project = (await server.ok<any>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('round-trips') })).createProject.id;
    const version = (n: number) =>
      server.ok<any>('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
        input: { project, dataset: 'clicks', uri: `s3://clicks/${n}`, digest: `sha256:${n.toString(16).padStart(64, 'a')}` },
      });
    const inputs = [{ id: (await version(1)).registerDatasetVersion.id }, { id: (await version(2)).registerDatasetVersion.id }];
    const start = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
    const run = (await server.ok<any>(start, { input: { project, name: 'train', type: 'TRAINING', experiment: 'baseline', inputs } })).startRun;
    // one auto-commit statement: the run with its links and its event, and the project and inputs for the checks
    expect(server.lastQueries()).toEqual([auto('startRun')]);
    expect(server.lastRoundTrips()).toBe(1);
    const read = (await server.ok<any>('query($id: ID!) { run(id: $id) { experiment { name } inputs { node { id } } } }', { id: run.id })).run;
    expect(read.experiment.name).toBe('baseline');
    expect(read.inputs.map((i: any) => i.node.id).sort()).toEqual(inputs.map((i) => i.id).sort());

    const checkpoint = (await server.ok<any>('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', { input: { run: run.id, step: 1, uri: 's3://ckpt/1' } })).logCheckpoint;
    // one auto-commit statement: the run's lock with the checkpoint and its event
    expect(server.lastQueries()).toEqual([auto('logCheckpoint')]);
    expect(server.lastRoundTrips()).toBe(1);

    const register = 'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id number } }';
    const first = (await server.ok<any>(register, { input: { project, model: 'ranker', source: checkpoint.id } })).registerModelVersion;
    expect(first.number).toBe(1);
    // the auto-commit statement finds no model | a transaction: the statement again | the model with
    // its lock, the version with its event and the checks' lookups
    expect(server.lastQueries()).toEqual([auto('registerModelVersion'), ...Array(2).fill({ unit: 'registerModelVersion', autoCommit: false })]);
    expect(server.lastRoundTrips()).toBe(3);
    const second = (await server.ok<any>(register, { input: { project, model: 'ranker', source: checkpoint.id } })).registerModelVersion;
    expect(second.number).toBe(2);
    // the model's lock, the previous version's id, the version with its event and the checks' lookups
    expect(server.lastQueries()).toEqual([auto('registerModelVersion')]);
    expect(server.lastRoundTrips()).toBe(1);
    // The event names the version it follows, and the version derives from the checkpoint.
    const { records } = await driver.executeQuery(
      'MATCH (e:Event {subjectId: $id}) MATCH (v:ModelVersion {id: $id})-[:DERIVED_FROM]->(c:Checkpoint) RETURN e.previousId AS previousId, c.id AS source',
      { id: second.id },
    );
    expect(records.map((r) => r.toObject())).toEqual([{ previousId: first.id, source: checkpoint.id }]);

    // deployModelVersion: the model's lock with the version and the active deployment under it in
    // one statement, then the release gate, the deployment, and its events: 4 statements.
    const deploy = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }';
    await server.ok<any>(deploy, { input: { version: first.id, environment: 'prod' } });
    const statements = server.lastStatements();
    expect(statements[0]).toMatch(/^(?:CYPHER replan=skip )?MATCH \(found:ModelVersion/);
    expect(statements).toHaveLength(4);
    const replacing = (await server.ok<any>(deploy, { input: { version: second.id, environment: 'prod' } })).deployModelVersion;
    expect(server.lastStatements()).toHaveLength(statements.length + 1); // and ends the active one
    const [replaced] = (await driver.executeQuery('MATCH (d:Deployment {id: $id}) RETURN d.replacesId AS replaces', { id: replacing.id })).records;
    expect(replaced!.get('replaces')).not.toBeNull();
  });

  it('a traversal with edges reads the reach and the edges in one statement, one round trip', async () => {
    const data = await server.ok<any>('query($id: ID!) { node(id: $id) { upstream(maxDepth: 3, limit: 10) { nodes { node { id } } edges { from to kind } } } }', { id: seed.ModelVersion });
    expect(data.node.upstream.edges).toContainEqual({ from: seed.ModelVersion, to: seed.Checkpoint, kind: 'DERIVED_FROM' });
    expect(sorted(server.lastQueries())).toEqual([auto('lineage.upstream'), auto('nodes.byIds')]);
    expect(server.lastRoundTrips()).toBe(1);
  });

  it('reachableCount alone runs the count, not the reach query, and counts what a full traversal returns', async () => {
    const full = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 5, limit: 100) { nodes { node { id } } } } }', { id: seed.DatasetVersion });
    const counted = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 5, limit: 1) { reachableCount } } }', { id: seed.DatasetVersion });
    expect(counted.node.downstream.reachableCount).toBe(full.node.downstream.nodes.length);
    expect(counted.node.downstream.reachableCount).toBe(4); // run, checkpoint, model version, deployment
    expect(sorted(server.lastQueries())).toEqual([auto('lineage.count'), auto('nodes.byIds')]);
    expect(server.lastRoundTrips()).toBe(1);
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

describe('executor.writeOne', () => {
  const executor = () => createExecutor({ driver, database: 'neo4j', logger: pino({ level: 'silent' }) });
  const probes = async (name: string) => (await driver.executeQuery('MATCH (t:WriteOneProbe {name: $name}) RETURN count(t) AS n', { name })).records[0]!.get('n') as number;

  it('commits its one statement on its own', async () => {
    const name = `writeOne-${Date.now()}-${Math.random()}`;
    const records = await executor().writeOne('test.write', (tx) => tx.run('CREATE (t:WriteOneProbe {name: $name}) RETURN t.name AS name', { name }));
    expect(records.map((r) => r.get('name'))).toEqual([name]);
    expect(await probes(name)).toBe(1);
    await driver.executeQuery('MATCH (t:WriteOneProbe {name: $name}) DELETE t', { name });
  });

  it('refuses a second statement; the first one, its own transaction, stays committed', async () => {
    const name = `writeOne-${Date.now()}-${Math.random()}`;
    await expect(executor().writeOne('test.two', async (tx) => {
      await tx.run('CREATE (:WriteOneProbe {name: $name})', { name });
      return tx.run('CREATE (:WriteOneProbe {name: $name})', { name });
    })).rejects.toThrow(/second statement/);
    expect(await probes(name)).toBe(1);
    await driver.executeQuery('MATCH (t:WriteOneProbe {name: $name}) DELETE t', { name });
  });
});
