/**
 * Pedigree as one subgraph of a company supergraph, over real HTTP: an accounts subgraph owns
 * users and teams, both compose without errors, and queries through the Apollo Gateway and the
 * Hive Gateway cross the boundary in both directions.
 */
import { SignJWT } from 'jose';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAccountsSubgraph, type AccountsSubgraph } from '../support/accounts.ts';
import { createProject, headCursor, sha } from '../support/events.ts';
import { ADMIN, useGateway } from '../support/gateway.ts';
import { testDriver, unique } from '../support/graph.ts';
import { recordOneOfEach, setCreatedBy, type OneOfEach } from '../support/lineage.ts';
import { composeSupergraph, startApolloGateway, startHiveGateway, subscribeOverSse, type Composition, type Router } from '../support/supergraph.ts';

/** Pedigree also accepts JWTs signed with this secret: how a user of the company graph writes. */
const JWT_SECRET = 'a-jwt-secret-for-the-federation-suite-0123';

let accounts: AccountsSubgraph;
let driver: Driver;
let composition: Composition;
let seed: OneOfEach;
const ada = unique('usr-ada');
const grace = unique('usr-grace');

const pedigree = useGateway({ env: { PEDIGREE_JWT_SECRET: JWT_SECRET } });
beforeAll(async () => {
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

/** A bearer JWT for `sub` as the company's identity provider would issue it. */
async function bearerJwt(sub: string, claims: Record<string, unknown>): Promise<string> {
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));
  return `Bearer ${token}`;
}

const VERSION_EVENTS = `subscription($filter: EventFilter, $after: String) {
  versionEvents(filter: $filter, after: $after) { kind subject { id } actor { id email } }
}`;

const REGISTER = `mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id createdBy { id } } }`;

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

  it('delivers versionEvents subscribed through the router, with the actor resolved from accounts', async () => {
    const project = await createProject(pedigree, unique('fed-events'));
    const asAda = { authorization: await bearerJwt(ada, { pedigree_roles: { [project]: 'WRITER' } }) };
    const register = async (n: number) => {
      const result = await router.gql(REGISTER, { input: { project, dataset: 'clicks', uri: `s3://clicks/${n}`, digest: sha(n) } }, asAda);
      expect(result.errors).toBeUndefined();
      expect(result.data!.registerDatasetVersion.createdBy).toEqual({ id: ada });
      return result.data!.registerDatasetVersion.id as string;
    };
    // `after` the head taken before subscribing: every later event of the project is delivered,
    // whenever the router's upstream graphql-ws subscription to Pedigree is established.
    const subscriber = subscribeOverSse<{ versionEvents: unknown }>(router.url, VERSION_EVENTS, { filter: { projects: [project] }, after: await headCursor(pedigree) }, asAda);
    try {
      const first = await register(1);
      await subscriber.waitFor(1);
      // The subscription is live end to end now; this one arrives on the live path.
      const second = await register(2);
      await subscriber.waitFor(2);
      const expected = (id: string) => ({ data: { versionEvents: { kind: 'DATASET_VERSION_CREATED', subject: { id }, actor: { id: ada, email: 'ada@example.com' } } } });
      expect(subscriber.results).toEqual([expected(first), expected(second)]);
    } finally {
      subscriber.close();
    }
  });

  it('subscribes upstream with each client\'s own credential: another user cannot watch the project', async () => {
    const project = await createProject(pedigree, unique('fed-events'));
    // Grace is known to accounts but has no role on the project: Pedigree, seeing her JWT on
    // the router's WebSocket, answers NOT_FOUND as it does to anyone who cannot read it.
    const asGrace = { authorization: await bearerJwt(grace, {}) };
    const subscriber = subscribeOverSse(router.url, VERSION_EVENTS, { filter: { projects: [project] } }, asGrace);
    try {
      await subscriber.waitFor(1);
      expect(subscriber.results).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })] }]);
    } finally {
      subscriber.close();
    }
  });
});
