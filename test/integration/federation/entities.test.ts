/**
 * The router's side of Pedigree: `_entities` resolves every @key entity through the per-request
 * loaders (one Cypher query for all types, whatever the number of representations), answers null for
 * missing, foreign or malformed ids without failing the others, and serves the lineage fields
 * Pedigree adds to the company graph's `User`.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isLeafType, isNonNullType, isObjectType, type GraphQLField } from 'graphql';
import { newId } from '../../../src/domain/ids.ts';
import { createSchema } from '../../../src/graphql/schema/index.ts';
import { useGateway } from '../../support/gateway.ts';
import { testDriver, unique } from '../../support/graph.ts';
import { copyNodes, recordOneOfEach, setCreatedBy, type EntityLabel, type OneOfEach } from '../../support/lineage.ts';

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

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Project { id name }
    ... on Dataset { id name }
    ... on DatasetVersion { id number }
    ... on Experiment { id name }
    ... on Run { id name status }
    ... on Checkpoint { id step }
    ... on Artifact { id type }
    ... on Model { id name }
    ... on ModelVersion { id number }
    ... on Deployment { id environment }
    ... on User { id }
  }
}`;

const LABELS = Object.keys({
  Project: 0, Dataset: 0, DatasetVersion: 0, Experiment: 0, Run: 0, Checkpoint: 0, Artifact: 0, Model: 0, ModelVersion: 0, Deployment: 0,
} satisfies Record<EntityLabel, 0>) as EntityLabel[];

describe('_entities', () => {
  it('resolves 1,000 representations of ten types with one Cypher query', async () => {
    const existing = new Map<string, EntityLabel>();
    for (const label of LABELS) {
      for (const id of [seed[label], ...(await copyNodes(driver, label, seed[label], 95))]) existing.set(id, label);
    }
    const representations: { __typename: string; id: unknown }[] = [...existing].map(([id, label]) => ({ __typename: label, id }));
    for (const label of LABELS) representations.push({ __typename: label, id: newId(label) }, { __typename: label, id: newId(label) });
    representations.push(
      ...Array.from({ length: 5 }, () => ({ __typename: 'Run', id: newId('ModelVersion') })), // an id of another type
      ...Array.from({ length: 5 }, () => ({ __typename: 'ModelVersion', id: seed.Run })),
      ...Array.from({ length: 5 }, (_, i) => ({ __typename: 'Deployment', id: `not-an-id-${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ __typename: 'Checkpoint', id: i })), // malformed: not a string
    );
    // Interleave the types, as a router batching several fetches would.
    representations.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(representations).toHaveLength(1_000);

    const result = await server.gql<{ _entities: (Record<string, unknown> | null)[] }>(ENTITIES, { representations });

    expect(result.errors).toBeUndefined();
    const entities = result.data!._entities;
    expect(entities).toHaveLength(1_000);
    representations.forEach((representation, i) => {
      const label = typeof representation.id === 'string' ? existing.get(representation.id) : undefined;
      if (label === representation.__typename) {
        expect(entities[i]).toMatchObject({ __typename: label, id: representation.id });
      } else {
        expect(entities[i]).toBeNull();
      }
    });
    expect(entities.filter((e) => e !== null)).toHaveLength(960);
    // The by-id loaders of all ten types share one batch: one UNION ALL statement.
    expect(server.lastQueryCount()).toBe(1);
  }, 120_000);

  it('reads each entity with its own fields', async () => {
    const representations = LABELS.map((label) => ({ __typename: label, id: seed[label] }));
    const { _entities: entities } = await server.ok<{ _entities: Record<string, unknown>[] }>(ENTITIES, { representations });
    expect(entities).toEqual([
      { __typename: 'Project', id: seed.Project, name: expect.stringMatching(/^fed-/) },
      { __typename: 'Dataset', id: seed.Dataset, name: 'clicks' },
      { __typename: 'DatasetVersion', id: seed.DatasetVersion, number: 1 },
      { __typename: 'Experiment', id: seed.Experiment, name: 'sweep' },
      { __typename: 'Run', id: seed.Run, name: 'train', status: 'COMPLETED' },
      { __typename: 'Checkpoint', id: seed.Checkpoint, step: 1 },
      { __typename: 'Artifact', id: seed.Artifact, type: 'labels' },
      { __typename: 'Model', id: seed.Model, name: 'ranker' },
      { __typename: 'ModelVersion', id: seed.ModelVersion, number: 1 },
      { __typename: 'Deployment', id: seed.Deployment, environment: 'prod' },
    ]);
  });
});

describe('_entities reading partial rows', () => {
  const schema = createSchema();
  /** Fields the default resolver reads from the row's property of the same name (what a partial row may carry). */
  const stored = (field: GraphQLField<unknown, unknown>) => !field.resolve && field.args.length === 0 && isLeafType(getNamedType(field.type));
  const fieldsOf = (label: string) => {
    const type = schema.getType(label);
    if (!isObjectType(type)) throw new Error(`${label} is not an object type`);
    return Object.values(type.getFields());
  };

  it('reads only the selected properties when every selected field is a stored one, in one statement', async () => {
    const ids = [seed.ModelVersion, ...(await copyNodes(driver, 'ModelVersion', seed.ModelVersion, 20))];
    const representations = ids.map((id) => ({ __typename: 'ModelVersion', id }));
    const partial = await server.ok<any>('query($r: [_Any!]!) { _entities(representations: $r) { ... on ModelVersion { id number status createdAt } } }', { r: representations });
    expect(server.lastStatements()).toHaveLength(1);
    const [statement] = server.lastStatements();
    expect(statement).toMatch(/n \{createdAt: n\.createdAt\.epochMillis, \.id, \.number, \.projectId, \.status\} AS n$/);
    expect(statement).not.toMatch(/\.\*/);
    // The same entities through whole rows (kind has a resolver: the row is read whole).
    const whole = await server.ok<any>('query($r: [_Any!]!) { _entities(representations: $r) { ... on ModelVersion { id number status createdAt kind } } }', { r: representations });
    expect(server.lastStatements()[0]).toMatch(/\.\*/);
    expect(partial._entities).toEqual(whole._entities.map(({ kind: _kind, ...rest }: any) => rest));
    expect(partial._entities.map((e: any) => e.id)).toEqual(ids);
  });

  it('answers every stored field of every entity type the same from a partial row as from the whole row', async () => {
    for (const label of LABELS) {
      const fields = fieldsOf(label);
      const plain = fields.filter(stored).map((field) => field.name);
      // Any field that is not stored makes the row whole.
      const other = fields.find((field) => !stored(field) && field.args.every((arg) => arg.defaultValue !== undefined || !isNonNullType(arg.type)));
      if (!other) throw new Error(`${label} has no field that needs a whole row`);
      const extra = isLeafType(getNamedType(other.type)) ? other.name : `${other.name} { __typename }`;
      const ask = (selection: string) =>
        server.ok<any>(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ${label} { ${selection} } } }`, { r: [{ __typename: label, id: seed[label] }] });
      const partial = (await ask(plain.join(' ')))._entities[0];
      expect(server.lastStatements()[0], label).not.toMatch(/\.\*/);
      const whole = (await ask(`${plain.join(' ')} ${extra}`))._entities[0];
      expect(server.lastStatements()[0], label).toMatch(/\.\*/);
      delete whole[other.name];
      expect(partial, label).toEqual(whole);
      expect(partial.id, label).toBe(seed[label]);
    }
  });

  it('does not let a fragment on another type make the row whole', async () => {
    const representations = [{ __typename: 'ModelVersion', id: seed.ModelVersion }, { __typename: 'Run', id: seed.Run }];
    const { _entities: entities } = await server.ok<any>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on ModelVersion { id number } ... on Run { id project { id } } } }',
      { r: representations },
    );
    expect(entities).toEqual([{ id: seed.ModelVersion, number: 1 }, { id: seed.Run, project: { id: seed.Project } }]);
    const [partial, whole] = server.lastStatements();
    expect(partial).toBe('UNWIND $ids[0] AS id MATCH (n:ModelVersion {id: id}) RETURN 0 AS request, n {.id, .number, .projectId} AS n');
    expect(whole).toMatch(/^UNWIND \$ids\[0\] AS id MATCH \(n:Run \{id: id\}\) RETURN 0 AS request, n \{\.\*/);
  });

  it('keeps the project read scope on partial rows', async () => {
    const other = (await server.ok<any>('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { input: { name: unique('other') } })).createProject.id;
    const mine = (await server.ok<any>('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
      input: { project: other, dataset: 'mine', uri: 's3://mine', digest: `sha256:${'a'.repeat(64)}` },
    })).registerDatasetVersion.id;
    const { token } = (await server.ok<any>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
      input: { project: other, role: 'VIEWER', name: unique('viewer') },
    })).createApiToken;
    const result = await server.gql<any>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on DatasetVersion { id number } } }',
      { r: [{ __typename: 'DatasetVersion', id: seed.DatasetVersion }, { __typename: 'DatasetVersion', id: mine }] },
      { authorization: `Bearer ${token}` },
    );
    expect(server.lastStatements()[0]).not.toMatch(/\.\*/);
    expect(result.data._entities).toEqual([null, { id: mine, number: 1 }]);
  });
});

describe('User', () => {
  const USER = `query($representations: [_Any!]!, $first: Int!) {
    _entities(representations: $representations) {
      ... on User { id runs(first: $first) { id name createdBy { id } } modelVersions(first: $first) { id number } }
    }
  }`;

  it('lists the runs and model versions a user created, newest first, for many users in two queries', async () => {
    const users = Array.from({ length: 30 }, () => unique('usr'));
    const runsOf = new Map<string, string[]>();
    const versionsOf = new Map<string, string[]>();
    for (const user of users) {
      runsOf.set(user, await copyNodes(driver, 'Run', seed.Run, 3, { createdBy: user }));
      versionsOf.set(user, await copyNodes(driver, 'ModelVersion', seed.ModelVersion, 2, { createdBy: user }));
    }
    const nobody = unique('usr');

    const { _entities: entities } = await server.ok<{ _entities: any[] }>(USER, {
      representations: [...users, nobody].map((id) => ({ __typename: 'User', id })),
      first: 2,
    });

    users.forEach((user, i) => {
      const newestRuns = runsOf.get(user)!.slice(-2).reverse();
      expect(entities[i].id).toBe(user);
      expect(entities[i].runs).toEqual(newestRuns.map((id) => ({ id, name: 'train', createdBy: { id: user } })));
      expect(entities[i].modelVersions.map((v: { id: string }) => v.id)).toEqual(versionsOf.get(user)!.slice().reverse());
    });
    expect(entities.at(-1)).toEqual({ id: nobody, runs: [], modelVersions: [] });
    expect(server.lastQueryCount()).toBe(2);
  });

  it('returns createdBy as a User reference that the same user resolves back from', async () => {
    const user = unique('usr');
    await setCreatedBy(driver, [seed.Deployment], user);
    const data = await server.ok<any>(
      `query($id: ID!, $representations: [_Any!]!) {
        node(id: $id) { createdBy { id } }
        _entities(representations: $representations) { ... on User { modelVersions { id } } }
      }`,
      { id: seed.Deployment, representations: [{ __typename: 'User', id: user }] },
    );
    expect(data.node.createdBy).toEqual({ id: user });
    expect(data._entities).toEqual([{ modelVersions: [] }]);
  });

  it('rejects a page size above the maximum with BAD_USER_INPUT', async () => {
    const result = await server.gql(USER, { representations: [{ __typename: 'User', id: unique('usr') }], first: 501 });
    expect(result.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });
});
