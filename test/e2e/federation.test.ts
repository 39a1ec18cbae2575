/**
 * Pedigree as one subgraph of a company supergraph, over real HTTP: an accounts subgraph owns
 * users and teams, both compose without errors, and queries through the Apollo Gateway and the
 * Hive Gateway cross the boundary in both directions.
 */
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAccountsSubgraph, type AccountsSubgraph } from '../support/accounts.ts';
import { ADMIN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { testDriver, unique } from '../support/graph.ts';
import { recordOneOfEach, setCreatedBy, type OneOfEach } from '../support/lineage.ts';
import { composeSupergraph, startApolloGateway, startHiveGateway, type Composition, type Router } from '../support/supergraph.ts';

let pedigree: TestGateway;
let accounts: AccountsSubgraph;
let driver: Driver;
let composition: Composition;
let seed: OneOfEach;
const ada = unique('usr-ada');
const grace = unique('usr-grace');

beforeAll(async () => {
  pedigree = await startTestGateway();
  driver = testDriver();
  accounts = await startAccountsSubgraph(
    [
      { id: ada, name: 'Ada', email: 'ada@example.com', teamId: 'team-ranking' },
      { id: grace, name: 'Grace', email: 'grace@example.com', teamId: 'team-platform' },
    ],
    [
      { id: 'team-ranking', name: 'Ranking' },
      { id: 'team-platform', name: 'Platform' },
    ],
  );
  seed = await recordOneOfEach(pedigree);
  // The seed is recorded with the test's admin token (subject 'admin'): set the creators as an
  // ML engineer (the run) and a release engineer (version and deployment) would have been.
  await setCreatedBy(driver, [seed.Run, seed.DatasetVersion], ada);
  await setCreatedBy(driver, [seed.ModelVersion, seed.Deployment], grace);
  composition = await composeSupergraph([
    { name: 'accounts', url: accounts.url },
    { name: 'pedigree', url: pedigree.url, headers: { authorization: ADMIN } },
  ]);
}, 60_000);
afterAll(async () => {
  await accounts?.stop();
  await driver?.close();
  await pedigree?.stop();
});

const FROM_ACCOUNTS = `query($id: ID!) {
  user(id: $id) {
    name
    team { name }
    runs(first: 5) {
      id name
      inputs { role node { __typename id ... on DatasetVersion { number dataset { name } createdBy { email } } } }
    }
  }
}`;

const FROM_PEDIGREE = `query($id: ID!) {
  node(id: $id) {
    ... on Deployment {
      environment
      createdBy { email }
      modelVersion { number model { name } createdBy { name email team { name } } }
    }
  }
}`;

function expectAcrossBothWays(router: () => Router) {
  it('starts in accounts: a user, their team, their runs and the datasets each run used', async () => {
    const result = await router().gql(FROM_ACCOUNTS, { id: ada });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      user: {
        name: 'Ada',
        team: { name: 'Ranking' },
        runs: [
          {
            id: seed.Run,
            name: 'train',
            inputs: expect.arrayContaining([
              { role: 'train', node: { __typename: 'DatasetVersion', id: seed.DatasetVersion, number: 1, dataset: { name: 'clicks' }, createdBy: { email: 'ada@example.com' } } },
              { role: 'labels', node: { __typename: 'Artifact', id: seed.Artifact } },
            ]),
          },
        ],
      },
    });
  });

  it('starts in Pedigree: a deployment, its model version and the creator from accounts', async () => {
    const result = await router().gql(FROM_PEDIGREE, { id: seed.Deployment });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      node: {
        environment: 'prod',
        createdBy: { email: 'grace@example.com' },
        modelVersion: { number: 1, model: { name: 'ranker' }, createdBy: { name: 'Grace', email: 'grace@example.com', team: { name: 'Platform' } } },
      },
    });
  });

  it('answers null for a user accounts does not know, without failing the query', async () => {
    const result = await router().gql(FROM_ACCOUNTS, { id: unique('usr-nobody') });
    expect(result).toEqual({ data: { user: null } });
  });
}

describe('composition', () => {
  it('composes Pedigree and accounts into a supergraph without errors', () => {
    expect(composition.errors).toEqual([]);
    expect(composition.supergraphSdl).toContain('@join__graph(name: "pedigree"');
    expect(composition.supergraphSdl).toMatch(/type User\s+@join__type\(graph: ACCOUNTS, key: "id"\)\s+@join__type\(graph: PEDIGREE, key: "id"\)/);
  });
});

describe('through @apollo/gateway', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startApolloGateway(composition.supergraphSdl);
  });
  afterAll(() => router?.stop());
  expectAcrossBothWays(() => router);
});

describe('through the Hive Gateway (open-source router)', () => {
  let router: Router;
  beforeAll(async () => {
    router = await startHiveGateway(composition.supergraphSdl);
  });
  afterAll(() => router?.stop());
  expectAcrossBothWays(() => router);

  it('forwards the client Authorization header to the subgraphs', async () => {
    const before = accounts.authorizations.length;
    const result = await router.gql(FROM_PEDIGREE, { id: seed.Deployment }, { authorization: ADMIN });
    expect(result.errors).toBeUndefined();
    expect(accounts.authorizations.slice(before)).toContain(ADMIN);
    // Pedigree needs it: without, the router gets UNAUTHENTICATED from it.
    const anonymous = await router.gql(FROM_PEDIGREE, { id: seed.Deployment }, {});
    expect(JSON.stringify(anonymous.errors)).toContain('UNAUTHENTICATED');
  });
});
