/**
 * The abuse suite (docs/security.md): authentication, project scope, limits and protocol misuse on
 * both transports. Every refused write is checked against node, relationship and event counts.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN, startTestGateway, useGateway, wsCollect, type GraphQLResponse } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';

const JWT_SECRET = 'a-jwt-secret-for-the-abuse-suite-0123456789';
const ROUTER_SECRET = 'router-secret-0123456789abcdef';

const driver = testDriver();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

const server = useGateway({ env: { PEDIGREE_JWT_SECRET: JWT_SECRET, PEDIGREE_WS_RECHECK_MS: '200' } });
afterAll(async () => {
  await driver.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function createProject(): Promise<string> {
  return (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('sec') })).createProject.id;
}

async function tokenFor(project: string, role: string, expiresAt?: string): Promise<{ token: string; id: string }> {
  const data = await server.ok(
    `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id role project { id } } } }`,
    { input: { project, role, name: unique('tok'), ...(expiresAt ? { expiresAt } : {}) } },
  );
  return { token: data.createApiToken.token, id: data.createApiToken.apiToken.id };
}

async function jwt(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setSubject(String(claims['sub'] ?? 'user-1'))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'mallory', exp: Math.floor(Date.now() / 1000) + 600, ...claims })}.`;
}

const REGISTER = `mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }`;

function code(response: GraphQLResponse): unknown {
  return response.errors?.[0]?.extensions?.code;
}

/** Sends the request and asserts it failed with `expected` and wrote nothing. */
async function refused(expected: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphQLResponse> {
  const before = await graphCounts(driver);
  const response = await server.gql(query, variables, headers);
  expect(code(response), JSON.stringify(response)).toBe(expected);
  expect(await graphCounts(driver)).toEqual(before);
  return response;
}

describe('authentication', () => {
  let project: string;
  beforeAll(async () => {
    project = await createProject();
  });
  const input = () => ({ input: { project, dataset: 'd', uri: 's3://x', digest: sha() } });

  it.each([
    ['no Authorization header', () => ({ authorization: '' })],
    ['a malformed header', () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['an empty bearer', () => ({ authorization: 'Bearer ' })],
    ['an unknown API token', () => bearer(`pdg_${randomBytes(32).toString('base64url')}`)],
    ['a wrong admin token', () => bearer('test-admin-token-0123456780')],
  ])('refuses %s with UNAUTHENTICATED', async (_name, headers) => {
    await refused('UNAUTHENTICATED', REGISTER, input(), headers());
  });

  it('refuses JWTs that are wrongly signed, unsigned (alg: none), expired or without a subject', async () => {
    const roles = { pedigree_roles: { [project]: 'ADMIN' } };
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(await jwt(roles, { secret: 'another-secret-of-enough-length-0123' })));
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(unsignedJwt(roles)));
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(await jwt(roles, { expiresIn: '-1m' })));
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(await jwt(roles, { alg: 'HS512' })));
  });

  it('accepts a valid JWT with project roles and records its subject as the actor', async () => {
    const token = await jwt({ sub: 'alice@example.com', pedigree_roles: { [project]: 'WRITER' } });
    const response = await server.gql(`${REGISTER.replace('{ id }', '{ id createdBy { id } }')}`, input(), bearer(token));
    expect(response.errors).toBeUndefined();
    expect(response.data?.registerDatasetVersion.createdBy).toEqual({ id: 'alice@example.com' });
  });

  it('refuses an expired and a revoked API token', async () => {
    const expiresAt = Date.now() + 5_000;
    const short = await tokenFor(project, 'WRITER', new Date(expiresAt).toISOString());
    expect(code(await server.gql(REGISTER, input(), bearer(short.token)))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 100));
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(short.token));

    const revoked = await tokenFor(project, 'WRITER');
    await server.ok('mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: revoked.id });
    await refused('UNAUTHENTICATED', REGISTER, input(), bearer(revoked.token));
  });

  it('stores only the hash of an API token', async () => {
    const { token, id } = await tokenFor(project, 'VIEWER');
    const { records } = await driver.executeQuery('MATCH (t:ApiToken {id: $id}) RETURN properties(t) AS props', { id });
    const stored = JSON.stringify(records[0]!.get('props'));
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(4));
  });
});

describe('roles and project scope', () => {
  let a: string;
  let b: string;
  let viewer: string;
  let writer: string;
  let bVersion: string;
  let bRun: string;

  beforeAll(async () => {
    [a, b] = [await createProject(), await createProject()];
    viewer = (await tokenFor(a, 'VIEWER')).token;
    writer = (await tokenFor(a, 'WRITER')).token;
    bVersion = (await server.ok(REGISTER, { input: { project: b, dataset: 'secret', uri: 's3://b', digest: sha() } })).registerDatasetVersion.id;
    bRun = (await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: b, name: 'r', type: 'OTHER' } })).startRun.id;
  });

  it('lets a VIEWER read but not record', async () => {
    const read = await server.gql('query($id: ID!) { project(id: $id) { id name } }', { id: a }, bearer(viewer));
    expect(read.data?.project.id).toBe(a);
    await refused('FORBIDDEN', REGISTER, { input: { project: a, dataset: 'd', uri: 's3://x', digest: sha() } }, bearer(viewer));
  });

  it('lets a WRITER record but not manage tokens, aliases or deployments', async () => {
    const version = await server.gql(REGISTER, { input: { project: a, dataset: 'd', uri: 's3://x', digest: sha() } }, bearer(writer));
    expect(version.errors).toBeUndefined();
    await refused('FORBIDDEN', 'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { input: { project: a, role: 'ADMIN', name: 'x' } }, bearer(writer));
    const run = (await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: a, name: 'r', type: 'TRAINING' } })).startRun.id;
    const mv = (
      await server.ok('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id model { id } } }', {
        input: { project: a, model: unique('m'), source: run },
      })
    ).registerModelVersion;
    await refused('FORBIDDEN', 'mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name } }', { input: { model: mv.model.id, alias: 'prod', version: mv.id } }, bearer(writer));
    await refused('FORBIDDEN', 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { input: { version: mv.id, environment: 'prod' } }, bearer(writer));
    await refused('FORBIDDEN', 'mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('p') }, bearer(writer));
  });

  it('hides another project on every read path', async () => {
    const response = await server.gql(
      `query($b: ID!, $v: ID!, $r: ID!) {
        project(id: $b) { id }
        projects { id }
        node(id: $v) { id }
        nodes(ids: [$v, $r]) { id }
        run(id: $r) { id }
        dataset(project: $b, name: "secret") { id }
        _entities(representations: [{ __typename: "DatasetVersion", id: $v }, { __typename: "Run", id: $r }, { __typename: "Project", id: $b }]) {
          ... on DatasetVersion { id } ... on Run { id } ... on Project { id }
        }
      }`,
      { b, v: bVersion, r: bRun },
      bearer(viewer),
    );
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      project: null,
      projects: [{ id: a }],
      node: null,
      nodes: [null, null],
      run: null,
      dataset: null,
      _entities: [null, null, null],
    });
  });

  it('answers NOT_FOUND for another project\'s nodes in paths, manifests and diffs', async () => {
    const either = expect.stringMatching(/^(from|to)$/);
    const queries: [string, Record<string, unknown>, unknown][] = [
      ['query($from: ID!, $to: ID!) { lineagePath(from: $from, to: $to) { id } }', { from: bRun, to: bVersion }, either],
      ['query($of: ID!) { provenanceManifest(of: $of) { digest } }', { of: bRun }, 'of'],
      ['query($from: ID!, $to: ID!) { lineageDiff(from: $from, to: $to) { codeChanged } }', { from: bRun, to: bRun }, either],
    ];
    for (const [query, variables, field] of queries) {
      const response = await server.gql(query, variables, bearer(viewer));
      expect(response.errors?.[0]?.extensions, JSON.stringify(response)).toMatchObject({ code: 'NOT_FOUND', field });
      expect(response.errors?.[0]?.message).not.toContain('secret');
    }
    const own = await server.gql('query($of: ID!) { provenanceManifest(of: $of) { digest } }', { of: bRun });
    expect(own.errors, JSON.stringify(own.errors)).toBeUndefined();
  });

  it('never hands out another project\'s node through a traversal, even over a forged cross-project edge', async () => {
    const aRun = (await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: a, name: 'r', type: 'OTHER' } })).startRun.id;
    // Recording never links projects; this edge is written behind the API's back.
    await driver.executeQuery('MATCH (r:Run {id: $r}), (v:DatasetVersion {id: $v}) CREATE (r)-[:USED {role: "forged", createdAt: datetime()}]->(v)', { r: aRun, v: bVersion });
    const selections = ['id kind', 'id ... on DatasetVersion { uri digest }'];
    for (const selection of selections) {
      const response = await server.gql(`query($id: ID!) { node(id: $id) { upstream { nodes { node { ${selection} } } } } }`, { id: aRun }, bearer(viewer));
      expect(JSON.stringify(response.data)).not.toContain(bVersion);
      expect(JSON.stringify(response.data)).not.toContain('s3://b');
      const admin = await server.ok(`query($id: ID!) { node(id: $id) { upstream { nodes { node { ${selection} } } } } }`, { id: aRun });
      expect(admin.node.upstream.nodes.map((hit: any) => hit.node.id)).toEqual([bVersion]);
    }
  });

  it('treats another project\'s ids in writes as missing', async () => {
    await refused('NOT_FOUND', REGISTER, { input: { project: b, dataset: 'd', uri: 's3://x', digest: sha() } }, bearer(writer));
    await refused('NOT_FOUND', 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: a, name: 'r', type: 'OTHER', inputs: [{ id: bVersion }] } }, bearer(writer));
    await refused('NOT_FOUND', 'mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', { input: { run: bRun, metrics: [{ key: 'loss', value: 1 }] } }, bearer(writer));
    await refused('NOT_FOUND', 'mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', { input: { run: bRun, step: 1, uri: 's3://c' } }, bearer(writer));
    await refused('NOT_FOUND', 'mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }', { input: { run: bRun, status: 'FAILED' } }, bearer(writer));
    await refused('NOT_FOUND', 'mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }', { input: { project: a, nodes: [{ key: 'r', kind: 'RUN', fields: { name: 'r', type: 'OTHER', parent: bRun } }], edges: [] } }, bearer(writer));
    await refused('NOT_FOUND', 'query($p: ID!) { auditLog(project: $p) { nodes { action } } }', { p: b }, bearer(writer));
  });

  it('stores Cypher-injection strings verbatim and harmlessly', async () => {
    const evil = "x'}) MATCH (n) DETACH DELETE n //\"; CALL db.clearQueryCaches() //";
    const before = await graphCounts(driver);
    const created = await server.ok(REGISTER.replace('{ id }', '{ id label dataset { name } }'), {
      input: { project: a, dataset: evil, uri: `s3://${evil}`, digest: sha(), label: evil, properties: { [evil]: evil } },
    });
    expect(created.registerDatasetVersion).toMatchObject({ label: evil, dataset: { name: evil } });
    const after = await graphCounts(driver);
    expect(after.nodes).toBeGreaterThan(before.nodes);
  });

  it('keeps an audit trail that only project admins can read', async () => {
    const run = (await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: a, name: 'audited', type: 'OTHER' } })).startRun.id;
    const log = await server.ok('query($p: ID!) { auditLog(project: $p, first: 5) { nodes { action actor { id } subject { id } } } }', { p: a });
    expect(log.auditLog.nodes[0]).toEqual({ action: 'startRun', actor: { id: 'admin' }, subject: { id: run } });
    expect(code(await server.gql('query($p: ID!) { auditLog(project: $p) { nodes { action } } }', { p: a }, bearer(writer)))).toBe('FORBIDDEN');
  });
});

describe('limits', () => {
  const fields = 'id digest uri number label displayName createdAt kind sizeBytes recordCount properties schema';
  /** Valid at every size: dataset -> versions -> dataset ... `levels` times. Depth 5 + 3 per level. */
  const deep = (levels: number) =>
    `{ projects { id name datasets { nodes { id name ${`versions { nodes { ${fields} dataset { id name `.repeat(levels)} id ${'} } } '.repeat(levels)} } } } }`;

  it('refuses a depth bomb, an alias flood, a cost bomb and a token flood over HTTP', async () => {
    const limitOf = async (query: string) => {
      const response = await server.gql(query);
      expect(response.data ?? null).toBeNull();
      return response.errors?.map((e) => [e.extensions?.code, e.message.replace(/\d+(\.\d+)?/g, 'N')]);
    };
    expect(await limitOf(deep(4))).toContainEqual(['LIMIT_EXCEEDED', 'Query depth limit of N exceeded, found N.']);
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: projects { id }`).join(' ');
    expect(await limitOf(`{ ${aliases} }`)).toEqual([['LIMIT_EXCEEDED', 'Aliases limit of N exceeded, found N.']]);
    // Within depth and alias limits, but twenty aliases of a depth-13 query cost too much.
    const costly = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: ${deep(3).slice(2, -2)}`).join(' ')} }`;
    expect(await limitOf(costly)).toEqual([['LIMIT_EXCEEDED', 'Query Cost limit of N exceeded, found N.']]);
    expect(await limitOf(`{ ${'__typename '.repeat(6_000)} }`)).toEqual([['LIMIT_EXCEEDED', 'Document contains more that N tokens. Parsing aborted.']]);
    // Within the limits, the same shapes answer (on one small project: over every project of the
    // suite's database the answer of a depth-13 query grows with whatever other test files wrote).
    const small = await createProject();
    await server.ok(REGISTER, { input: { project: small, dataset: 'd', uri: 's3://x', digest: sha() } });
    const one = `project(id: "${small}")`;
    expect((await server.gql(deep(3).replace('projects', one))).errors).toBeUndefined();
    expect((await server.gql(`{ ${deep(3).slice(2, -2).replace('projects', `a0: ${one}`)} a1: projects { id } }`)).errors).toBeUndefined();
  });

  it('refuses a body over the size limit before parsing it', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ADMIN },
      body: JSON.stringify({ query: '{ projects { id } }', variables: { pad: 'x'.repeat(13 * 1024 * 1024) } }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
  });

  it('applies the same limits to WebSocket operations', async () => {
    const client = server.ws();
    const [result] = await wsCollect(client, deep(4));
    expect(code(result!)).toBe('LIMIT_EXCEEDED');
    const [aliased] = await wsCollect(client, `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: projects { id }`).join(' ')} }`);
    expect(code(aliased!)).toBe('LIMIT_EXCEEDED');
    const [fine] = await wsCollect(client, '{ projects { id } }');
    expect(fine!.errors).toBeUndefined();
  });

  it('closes a WebSocket that sends a frame over the size limit', async () => {
    const socket = await openSocket(server.gateway.wsUrl);
    send(socket, { type: 'connection_init', payload: { authorization: ADMIN } });
    await nextMessage(socket);
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ projects { id } } # ${'x'.repeat(2 * 1024 * 1024)}` } }));
    expect(await closeCode(socket)).toBe(1009); // Message Too Big
  });

  it('rate-limits each credential with RATE_LIMITED and Retry-After', async () => {
    await using limited = await startTestGateway({ env: { PEDIGREE_RATE_LIMIT_PER_SECOND: '5' } });
    const responses = [];
    for (let i = 0; i < 8; i++) {
      responses.push(await fetch(limited.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: '{"query":"{ __typename }"}' }));
    }
    const last = responses[responses.length - 1]!;
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await last.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(responses[0]!.status).toBe(200);
  });

  it('turns introspection off in production, on both transports', async () => {
    await using production = await startTestGateway({ config: { production: true } });
    const response = await production.gql('{ __schema { types { name } } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const [overWs] = await wsCollect(production.ws(), '{ __schema { types { name } } }');
    expect(overWs!.errors?.length).toBeGreaterThan(0);
    expect((await production.gql('{ __typename }')).errors).toBeUndefined();
  });
});

describe('the router secret', () => {
  it('refuses HTTP and WebSocket requests without it, before parsing', async () => {
    await using guarded = await startTestGateway({ env: { PEDIGREE_ROUTER_SECRET: ROUTER_SECRET } });
    const refusedResponse = await fetch(guarded.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: 'not even json' });
    expect(refusedResponse.status).toBe(403);
    expect(((await refusedResponse.json()) as GraphQLResponse).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const accepted = await guarded.gql('{ __typename }', {}, { 'x-pedigree-router-secret': ROUTER_SECRET });
    expect(accepted.data).toEqual({ __typename: 'Query' });
    const socket = new WebSocket(guarded.gateway.wsUrl, 'graphql-transport-ws');
    const status = await new Promise<number>((resolve) => socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
    // The REST ingest routes too: MLflow, OpenLineage (both of its paths) and serving windows.
    const origin = new URL(guarded.url).origin;
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN, ...headers }, body: 'not even json' });
    const restRoutes = ['/mlflow/api/2.0/mlflow/experiments/create', '/api/v1/lineage', '/openlineage/api/v1/lineage', '/serving/v1/windows'];
    for (const path of restRoutes) expect((await post(path)).status, path).toBe(403);
    // With the secret, the request reaches the route (and its body is refused as not JSON).
    for (const path of ['/api/v1/lineage', '/serving/v1/windows']) expect((await post(path, { 'x-pedigree-router-secret': ROUTER_SECRET })).status, path).toBe(400);
  });
});

describe('event streams', () => {
  it('delivers only events of projects the subscriber can read, and refuses other projects by name', async () => {
    const [a, b] = [await createProject(), await createProject()];
    const viewer = (await tokenFor(a, 'VIEWER')).token;
    const client = server.ws(bearer(viewer));
    const received: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: 'subscription { versionEvents { kind project { id } subject { id } } }' },
        {
          next: (value) => {
            const event = (value.data as { versionEvents: { project: { id: string } } } | undefined)?.versionEvents;
            if (event) received.push(event.project.id);
            if (received.length === 1) resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // subscribed and live
    await server.ok(REGISTER, { input: { project: b, dataset: 'hidden', uri: 's3://b', digest: sha() } });
    await server.ok(REGISTER, { input: { project: a, dataset: 'visible', uri: 's3://a', digest: sha() } });
    await done;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toEqual([a]);

    const polled = await server.gql('query($p: [ID!]) { events(filter: { projects: $p }) { nodes { project { id } } } }', { p: [b] }, bearer(viewer));
    expect(polled.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'filter.projects[0]' });
    const [subscribed] = await wsCollect(server.ws(bearer(viewer)), 'subscription($p: [ID!]) { versionEvents(filter: { projects: $p }) { kind } }', { p: [b] });
    expect(subscribed!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // Polling without a project filter pages through the whole log but sees only project a.
    const seen = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < 1_000; page++) {
      const own: GraphQLResponse = await server.gql('query($after: String) { events(first: 500, after: $after) { nodes { project { id } } pageInfo { hasNextPage endCursor } } }', { after }, bearer(viewer));
      if (own.errors) throw new Error(JSON.stringify(own.errors));
      for (const node of own.data?.events.nodes ?? []) seen.add(node.project.id);
      if (!own.data?.events.pageInfo.hasNextPage) break;
      after = own.data.events.pageInfo.endCursor;
    }
    expect(seen).toEqual(new Set([a]));
  });

  it('limits subscriptions per connection', async () => {
    await using limited = await startTestGateway({ env: { PEDIGREE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' } });
    const client = limited.ws();
    const open = () => new Promise<unknown>((resolve) => client.subscribe({ query: 'subscription { versionEvents { kind } }' }, { next: resolve, error: resolve, complete: () => {} }));
    void open();
    void open();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const third = (await open()) as GraphQLResponse['errors'];
    expect(JSON.stringify(third)).toContain('LIMIT_EXCEEDED');
  });
});

describe('the WebSocket protocol', () => {
  it('closes with 4403 on bad credentials, 4401 on subscribe before ack, 4429 on a second init', async () => {
    const bad = await openSocket(server.gateway.wsUrl);
    send(bad, { type: 'connection_init', payload: { authorization: 'Bearer nope' } });
    expect(await closeCode(bad)).toBe(4403);

    const early = await openSocket(server.gateway.wsUrl);
    send(early, { id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await closeCode(early)).toBe(4401);

    const twice = await openSocket(server.gateway.wsUrl);
    send(twice, { type: 'connection_init', payload: { authorization: ADMIN } });
    expect(await nextMessage(twice)).toMatchObject({ type: 'connection_ack' });
    send(twice, { type: 'connection_init', payload: { authorization: ADMIN } });
    expect(await closeCode(twice)).toBe(4429);
  });

  it('closes with 4408 when no init arrives in time', async () => {
    const silent = await openSocket(server.gateway.wsUrl);
    expect(await closeCode(silent)).toBe(4408);
  });

  it('closes the sockets of a revoked token with 4403', async () => {
    const project = await createProject();
    const { token, id } = await tokenFor(project, 'VIEWER');
    const socket = await openSocket(server.gateway.wsUrl);
    send(socket, { type: 'connection_init', payload: bearer(token) });
    expect(await nextMessage(socket)).toMatchObject({ type: 'connection_ack' });
    const closed = closeCode(socket);
    await server.ok('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id });
    expect(await closed).toBe(4403);
  });

  it('closes the socket of a token that expires while connected', async () => {
    const project = await createProject();
    const { token } = await tokenFor(project, 'VIEWER', new Date(Date.now() + 4_000).toISOString());
    const socket = await openSocket(server.gateway.wsUrl);
    send(socket, { type: 'connection_init', payload: bearer(token) });
    expect(await nextMessage(socket)).toMatchObject({ type: 'connection_ack' });
    expect(await closeCode(socket)).toBe(4403);
  });
});

function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function send(socket: WebSocket, message: unknown): void {
  socket.send(JSON.stringify(message));
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)));
}

function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}
