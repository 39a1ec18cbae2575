/**
 * The hostile-input suite, second part (the first is security.test.ts): what a hostile review
 * of the running gateway found, each on HTTP and WebSocket where both apply. Every refusal
 * asserts its error code and, for writes, that node, relationship and event counts are unchanged.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN, startTestGateway, useGateway, wsCollect, type GraphQLResponse } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';

const driver = testDriver();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

const JWT_SECRET = 'a-jwt-secret-for-the-hostile-suite-0123456789';

// No periodic credential re-check during the suite: an expired credential must be refused by the operation itself.
const server = useGateway({ env: { PEDIGREE_JWT_SECRET: JWT_SECRET, PEDIGREE_WS_RECHECK_MS: '3600000' } });
afterAll(async () => {
  await driver.close();
});

const REGISTER = `mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }`;
const START = `mutation($input: StartRunInput!) { startRun(input: $input) { id } }`;
const FINISH = `mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }`;

function code(response: GraphQLResponse | undefined): unknown {
  return response?.errors?.[0]?.extensions?.code;
}

async function createProject(): Promise<string> {
  return (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('hostile') })).createProject.id;
}

/** Sends the request over HTTP, then over WebSocket, and asserts both failed with `expected` and wrote nothing. */
async function refusedOnBoth(expected: string, query: string, variables: Record<string, unknown> = {}): Promise<[GraphQLResponse, GraphQLResponse]> {
  const before = await graphCounts(driver);
  const overHttp = await server.gql(query, variables);
  expect(code(overHttp), JSON.stringify(overHttp).slice(0, 500)).toBe(expected);
  const [overWs] = await wsCollect(server.ws(), query, variables);
  expect(code(overWs), JSON.stringify(overWs).slice(0, 500)).toBe(expected);
  expect(await graphCounts(driver)).toEqual(before);
  return [overHttp, overWs!];
}

/** refusedOnBoth with the variables as JSON text, sent over a plain fetch and a plain graphql-ws socket. */
async function rawRefusedOnBoth(expected: string, query: string, variablesJson: string): Promise<void> {
  const before = await graphCounts(driver);
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: ADMIN },
    body: `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`,
  });
  const overHttp = (await response.json()) as GraphQLResponse;
  expect(code(overHttp), JSON.stringify(overHttp).slice(0, 500)).toBe(expected);
  const socket = new WebSocket(server.gateway.wsUrl, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const messages: Record<string, any>[] = [];
  const answered = new Promise<Record<string, any>>((resolve) =>
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, any>;
      messages.push(message);
      if (message['type'] === 'error' || message['type'] === 'next') resolve(message);
      if (message['type'] === 'connection_ack') socket.send(`{"id":"1","type":"subscribe","payload":{"query":${JSON.stringify(query)},"variables":${variablesJson}}}`);
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ADMIN } }));
  const answer = await answered;
  socket.close();
  const errors = answer['type'] === 'error' ? answer['payload'] : answer['payload'].errors;
  expect(errors?.[0]?.extensions?.code, JSON.stringify(answer).slice(0, 500)).toBe(expected);
  expect(await graphCounts(driver)).toEqual(before);
}

describe('responses are bounded', () => {
  let project: string;
  let version: string;
  let run: string;
  beforeAll(async () => {
    project = await createProject();
    version = (await server.ok(REGISTER, { input: { project, dataset: 'd', uri: 's3://d', digest: sha() } })).registerDatasetVersion.id;
    run = (await server.ok(START, { input: { project, name: 'r', type: 'TRAINING', inputs: [{ id: version }] } })).startRun.id;
  });

  const nested = (limit: string) =>
    `query($id: ID!${limit.startsWith('$') ? ', $limit: Int!' : ''}) { node(id: $id) {
      upstream(maxDepth: 1000, limit: ${limit}) { nodes { node { id
        upstream(maxDepth: 1000, limit: ${limit}) { nodes { node { id
          upstream(maxDepth: 1000, limit: ${limit}) { nodes { node { id } } } } } } } } } } }`;

  it('charges nested traversals by their limit, multiplied, given inline, as a variable or by default', async () => {
    await refusedOnBoth('LIMIT_EXCEEDED', nested('1000'), { id: run });
    await refusedOnBoth('LIMIT_EXCEEDED', nested('$limit'), { id: run, limit: 1000 });
    const byDefault = `query($id: ID!) { node(id: $id) { upstream { nodes { node { id upstream { nodes { node { id } } } } } } } }`;
    await refusedOnBoth('LIMIT_EXCEEDED', byDefault, { id: run });
    // Small limits answer.
    const small = await server.gql(nested('$limit'), { id: run, limit: 5 });
    expect(small.errors).toBeUndefined();
    expect(small.data?.node.upstream.nodes.map((hit: { node: { id: string } }) => hit.node.id)).toEqual([version]);
  });

  it('charges _entities and nodes by the length of their list, and caps it', async () => {
    const copies = (n: number) => Array.from({ length: n }, () => ({ __typename: 'User', id: 'admin' }));
    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id runs(first: 500) { id } } } }';
    const [overCap] = await refusedOnBoth('LIMIT_EXCEEDED', entities, { r: copies(3_000) });
    expect(overCap.errors?.[0]?.extensions).toMatchObject({ limit: 'representations', max: 1_000 });
    const [overWork] = await refusedOnBoth('LIMIT_EXCEEDED', entities, { r: copies(500) });
    expect(overWork.errors?.[0]?.extensions).toMatchObject({ limit: 'work' });
    const ids = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Run { upstream { nodes { node { id } } } } } }';
    await refusedOnBoth('LIMIT_EXCEEDED', ids, { ids: Array.from({ length: 3_000 }, () => run) });
    await refusedOnBoth('LIMIT_EXCEEDED', ids, { ids: Array.from({ length: 100 }, () => run) });
    // Within the limits, repeated ids answer each.
    const fine = await server.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [run, run, version] });
    expect(fine.data?.nodes).toEqual([{ id: run }, { id: run }, { id: version }]);
  });

  it('replaces a response over the configured size with LIMIT_EXCEEDED, on both transports', async () => {
    await using small = await startTestGateway({ env: { PEDIGREE_MAX_RESPONSE_BYTES: '2048' } });
    const big = (await small.ok(REGISTER, { input: { project, dataset: 'big', uri: 's3://big', digest: sha(), properties: { pad: 'x'.repeat(4_000) } } })).registerDatasetVersion.id;
    const query = 'query($id: ID!) { node(id: $id) { id ... on DatasetVersion { properties } } }';
    const overHttp = await small.gql(query, { id: big });
    expect(code(overHttp)).toBe('LIMIT_EXCEEDED');
    expect(overHttp.errors?.[0]?.extensions).toMatchObject({ limit: 'responseBytes', max: 2048 });
    expect(overHttp.data ?? null).toBeNull();
    const [overWs] = await wsCollect(small.ws(), query, { id: big });
    expect(code(overWs)).toBe('LIMIT_EXCEEDED');
    const fine = await small.gql(query, { id: version });
    expect(fine.errors).toBeUndefined();
    expect(fine.data?.node.id).toBe(version);
  });
});

describe('lineage stays acyclic', () => {
  const BATCH = 'mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids edges } }';
  let project: string;
  let v1: string;
  let run1: string;
  let v2: string;
  let run2: string;
  beforeAll(async () => {
    // v1 <-USED- run1 <-GENERATED_BY- v2 <-USED- run2 (run2 still RUNNING)
    project = await createProject();
    v1 = (await server.ok(REGISTER, { input: { project, dataset: 'raw', uri: 's3://raw', digest: sha() } })).registerDatasetVersion.id;
    run1 = (await server.ok(START, { input: { project, name: 'prep', type: 'DATA_PROCESSING', inputs: [{ id: v1 }] } })).startRun.id;
    v2 = (await server.ok(REGISTER, { input: { project, dataset: 'clean', uri: 's3://clean', digest: sha(), producedBy: run1 } })).registerDatasetVersion.id;
    run2 = (await server.ok(START, { input: { project, name: 'train', type: 'TRAINING', inputs: [{ id: v2 }] } })).startRun.id;
  });

  it('refuses finishRun with the run\'s own input, or anything upstream of it, as an output', async () => {
    const [own] = await refusedOnBoth('BAD_USER_INPUT', FINISH, { input: { run: run2, status: 'COMPLETED', outputs: [{ id: v2 }] } });
    expect(own.errors?.[0]?.extensions).toMatchObject({ field: 'input.outputs[0].id', edge: `${v2} -[GENERATED_BY]-> ${run2}` });
    const [far] = await refusedOnBoth('BAD_USER_INPUT', FINISH, { input: { run: run2, status: 'COMPLETED', outputs: [{ id: v1 }] } });
    expect(far.errors?.[0]?.extensions).toMatchObject({ field: 'input.outputs[0].id' });
    expect(far.errors?.[0]?.message).toContain('cycle');
  });

  it('refuses recordLineage edges that close a cycle through stored nodes', async () => {
    const [used] = await refusedOnBoth('BAD_USER_INPUT', BATCH, { input: { project, nodes: [], edges: [{ kind: 'GENERATED_BY', from: v1, to: run2 }] } });
    expect(used.errors?.[0]?.extensions).toMatchObject({ field: 'input.edges[0]', edge: `${v1} -[GENERATED_BY]-> ${run2}` });
    const [derived] = await refusedOnBoth('BAD_USER_INPUT', BATCH, {
      input: { project, nodes: [], edges: [{ kind: 'DERIVED_FROM', from: v1, to: v2, role: 'loop' }] },
    });
    expect(derived.errors?.[0]?.extensions).toMatchObject({ field: 'input.edges[0]', edge: `${v1} -[DERIVED_FROM]-> ${v2}` });
    const [through] = await refusedOnBoth('BAD_USER_INPUT', BATCH, {
      input: { project, nodes: [{ key: 'r', kind: 'RUN', fields: { name: 'loop', type: 'OTHER', inputs: [{ id: run2 }] } }], edges: [{ kind: 'USED', from: run1, to: 'r' }] },
    });
    expect(through.errors?.[0]?.extensions).toMatchObject({ field: 'input.edges[0]' });
  });

  it('still accepts edges that keep the graph acyclic, and their outputs', async () => {
    const v3 = (await server.ok(REGISTER, { input: { project, dataset: 'model-data', uri: 's3://m', digest: sha() } })).registerDatasetVersion.id;
    expect((await server.gql(BATCH, { input: { project, nodes: [], edges: [{ kind: 'DERIVED_FROM', from: v2, to: v1 }] } })).errors).toBeUndefined();
    expect((await server.gql(FINISH, { input: { run: run2, status: 'COMPLETED', outputs: [{ id: v3 }] } })).errors).toBeUndefined();
    const upstream = await server.ok('query($id: ID!) { node(id: $id) { upstream { nodes { node { id } } } } }', { id: v1 });
    expect(upstream.node.upstream.nodes).toEqual([]);
  });
});

describe('JSON scalars', () => {
  let project: string;
  beforeAll(async () => {
    project = await createProject();
  });

  it('refuses a value nested deeper than 64 levels with BAD_USER_INPUT, however deep', async () => {
    for (const depth of [65, 3_000, 20_000]) {
      // Written by hand: JSON.stringify itself runs out of stack long before 20,000 levels.
      const variables = `{"input":{"project":"${project}","name":"deep","type":"OTHER","params":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
      await rawRefusedOnBoth('BAD_USER_INPUT', START, variables);
    }
    let ok: unknown = 1;
    for (let i = 0; i < 63; i++) ok = { a: ok };
    expect((await server.gql(START, { input: { project, name: 'deep-enough', type: 'OTHER', params: ok } })).errors).toBeUndefined();
  });

  it('refuses non-finite numbers in variables and in literals', async () => {
    const body = (variables: string) => `{"query":${JSON.stringify(START)},"variables":${variables}}`;
    for (const variables of [`{"input":{"project":"${project}","name":"inf","type":"OTHER","params":{"lr":1e400}}}`, `{"input":{"project":"${project}","name":"inf","type":"OTHER","params":{"lr":[-1e999]}}}`]) {
      const before = await graphCounts(driver);
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: body(variables) });
      const json = (await response.json()) as GraphQLResponse;
      expect(code(json), JSON.stringify(json)).toBe('BAD_USER_INPUT');
      expect(await graphCounts(driver)).toEqual(before);
    }
    const before = await graphCounts(driver);
    const literal = await server.gql(`mutation { startRun(input: { project: "${project}", name: "inf", type: OTHER, params: { lr: 1e400 } }) { id } }`);
    expect(literal.errors?.length).toBeGreaterThan(0);
    expect(literal.data ?? null).toBeNull();
    const [overWs] = await wsCollect(server.ws(), `mutation { startRun(input: { project: "${project}", name: "inf", type: OTHER, params: { lr: 1e400 } }) { id } }`);
    expect(overWs!.errors?.length).toBeGreaterThan(0);
    expect(await graphCounts(driver)).toEqual(before);
  });
});

describe('subscriptions over HTTP', () => {
  it('answer 400 with USE_WEBSOCKET', async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ADMIN },
      body: JSON.stringify({ query: 'subscription { versionEvents { kind } }' }),
    });
    expect(response.status).toBe(400);
    const json = (await response.json()) as GraphQLResponse;
    expect(code(json)).toBe('USE_WEBSOCKET');
    expect(json.errors?.[0]?.message).toContain('WebSocket');
  });
});

/** A graphql-transport-ws socket, acknowledged, and every message it receives from now on. */
async function rawSocket(authorization: string): Promise<{ socket: WebSocket; messages: Record<string, any>[]; closed: Promise<number> }> {
  const socket = new WebSocket(server.gateway.wsUrl, 'graphql-transport-ws');
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const messages: Record<string, any>[] = [];
  const closed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
  const acknowledged = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, any>;
      if (message['type'] === 'connection_ack') resolve();
      else messages.push(message);
    });
    void closed.then((closeCode) => reject(new Error(`closed with ${closeCode} before connection_ack`)));
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization } }));
  await acknowledged;
  return { socket, messages, closed };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('WebSocket operations', () => {
  it('keeps the per-connection subscription limit when 100 subscribes arrive back to back', async () => {
    const project = await createProject();
    const { socket, messages } = await rawSocket(ADMIN);
    const subscribe = (i: number) =>
      JSON.stringify({ id: `s${i}`, type: 'subscribe', payload: { query: 'subscription($p: [ID!]) { versionEvents(filter: { projects: $p }) { kind } }', variables: { p: [project] } } });
    // One write: the 100 frames arrive together and are handled before any subscribe finishes.
    (socket as unknown as { _socket: { write(data: Buffer): void } })._socket.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => clientFrame(subscribe(i)))));
    await until(() => messages.filter((m) => m['type'] === 'error').length >= 80);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = messages.filter((m) => m['type'] === 'error');
    expect(refused).toHaveLength(80);
    expect(new Set(refused.map((m) => m['payload'][0].extensions.code))).toEqual(new Set(['LIMIT_EXCEEDED']));
    // The 20 that were accepted are live: one event reaches each of them.
    await server.ok(REGISTER, { input: { project, dataset: 'd', uri: 's3://d', digest: sha() } });
    await until(() => messages.filter((m) => m['type'] === 'next').length >= 20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messages.filter((m) => m['type'] === 'next')).toHaveLength(20);
    socket.close();
  });

  it('refuses an operation sent after the credential expired, and writes nothing (API token and JWT)', async () => {
    const project = await createProject();
    const expiresAt = Date.now() + 15_000; // room for a loaded machine to create the token and connect both sockets first
    const token = (
      await server.ok('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', {
        input: { project, role: 'WRITER', name: unique('short'), expiresAt: new Date(expiresAt).toISOString() },
      })
    ).createApiToken.token as string;
    const jwtExpiry = Math.ceil(expiresAt / 1000);
    const jwt = await new SignJWT({ pedigree_roles: { [project]: 'WRITER' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('short-lived@example.com')
      .setIssuedAt()
      .setExpirationTime(jwtExpiry)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const sockets = [await rawSocket(`Bearer ${token}`), await rawSocket(`Bearer ${jwt}`)];
    await new Promise((resolve) => setTimeout(resolve, Math.max(expiresAt, jwtExpiry * 1000) - Date.now() + 100));
    const before = await graphCounts(driver);
    for (const { socket, messages, closed } of sockets) {
      socket.send(JSON.stringify({ id: 'late', type: 'subscribe', payload: { query: REGISTER, variables: { input: { project, dataset: 'late', uri: 's3://late', digest: sha() } } } }));
      expect(await closed).toBe(4403);
      const answer = messages.find((m) => m['id'] === 'late');
      expect(answer?.['type']).toBe('error');
      expect(answer?.['payload'][0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(await graphCounts(driver)).toEqual(before);
  });
});

describe('credentials', () => {
  const CREATE_TOKEN = 'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id expiresAt } } }';

  it('never lets a token outlive the credential that created it, and says what a revoked token minted', async () => {
    const project = await createProject();
    const parentExpiry = new Date(Date.now() + 3_600_000);
    const parent = (await server.ok(CREATE_TOKEN, { input: { project, role: 'ADMIN', name: unique('parent'), expiresAt: parentExpiry.toISOString() } })).createApiToken;
    const asParent = { authorization: `Bearer ${parent.token}` };
    // Absent: the child inherits the parent's expiry.
    const child = await server.gql(CREATE_TOKEN, { input: { project, role: 'ADMIN', name: unique('child') } }, asParent);
    expect(child.errors).toBeUndefined();
    expect(Date.parse(child.data?.createApiToken.apiToken.expiresAt)).toBe(Date.parse(parent.apiToken.expiresAt));
    // Later than the parent: refused, nothing written.
    const before = await graphCounts(driver);
    const later = await server.gql(CREATE_TOKEN, { input: { project, role: 'ADMIN', name: unique('late'), expiresAt: new Date(parentExpiry.getTime() + 60_000).toISOString() } }, asParent);
    expect(later.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.expiresAt' });
    expect(await graphCounts(driver)).toEqual(before);
    const never = await server.gql(CREATE_TOKEN, { input: { project, role: 'ADMIN', name: unique('never') } }, asParent);
    expect(Date.parse(never.data?.createApiToken.apiToken.expiresAt)).toBe(Date.parse(parent.apiToken.expiresAt));
    // Revoking the parent names the tokens it minted.
    const revoked = await server.ok('mutation($id: ID!) { revokeApiToken(id: $id) { minted { id } } }', { id: parent.apiToken.id });
    expect(revoked.revokeApiToken.minted.map((t: { id: string }) => t.id).sort()).toEqual([child.data?.createApiToken.apiToken.id, never.data?.createApiToken.apiToken.id].sort());
  });

  it('records a JWT whose subject is "admin" or "tok_..." under its own name, not as the admin token or an API token', async () => {
    const project = await createProject();
    for (const [sub, recorded] of [['admin', 'jwt:admin'], ['tok_0123', 'jwt:tok_0123'], ['jwt:admin', 'jwt:jwt:admin'], ['carol@example.com', 'carol@example.com']]) {
      const jwt = await new SignJWT({ pedigree_roles: { [project]: 'WRITER' } })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub!)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      const response = await server.gql(REGISTER.replace('{ id }', '{ id createdBy { id } }'), { input: { project, dataset: 'd', uri: 's3://d', digest: sha() } }, { authorization: `Bearer ${jwt}` });
      expect(response.data?.registerDatasetVersion.createdBy).toEqual({ id: recorded });
    }
  });

  it('rate-limits failed authentication per client address, on both transports', async () => {
    await using limited = await startTestGateway({ env: { PEDIGREE_AUTH_FAILURES_PER_MINUTE: '3' } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(limited.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer pdg_${randomBytes(32).toString('base64url')}` }, body: '{"query":"{ __typename }"}' });
      statuses.push(response.status);
      if (i === 3) expect(code((await response.json()) as GraphQLResponse)).toBe('RATE_LIMITED');
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Refused before any lookup, whatever the credential, until the minute has passed.
    const valid = await fetch(limited.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: '{"query":"{ __typename }"}' });
    expect(valid.status).toBe(429);
    const socket = new WebSocket(limited.gateway.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ADMIN } }));
    expect(await closed).toBe(4403);
  });
});

describe('small ones', () => {
  it('answers NOT_FOUND for an unknown model version in setModelAlias and rollbackDeployment', async () => {
    const project = await createProject();
    const run = (await server.ok(START, { input: { project, name: 'r', type: 'TRAINING' } })).startRun.id;
    const mv = (await server.ok('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id model { id } } }', { input: { project, model: unique('m'), source: run } })).registerModelVersion;
    await server.ok('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { input: { version: mv.id, environment: 'prod' } });
    const missing = 'mv_0190aaaaaaaa7aaa8aaaaaaaaaaaaaaa';
    const [alias] = await refusedOnBoth('NOT_FOUND', 'mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name } }', { input: { model: mv.model.id, alias: 'prod', version: missing } });
    expect(alias.errors?.[0]?.extensions).toMatchObject({ field: 'input.version' });
    const [rollback] = await refusedOnBoth('NOT_FOUND', 'mutation($input: RollbackDeploymentInput!) { rollbackDeployment(input: $input) { id } }', { input: { model: mv.model.id, environment: 'prod', toVersion: missing } });
    expect(rollback.errors?.[0]?.extensions).toMatchObject({ field: 'input.toVersion' });
  });

  it('counts __typename aliases toward the alias limit and introspection toward the depth limit', async () => {
    await refusedOnBoth('LIMIT_EXCEEDED', `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    await refusedOnBoth('LIMIT_EXCEEDED', `{ __schema { types { fields { type ${'{ ofType '.repeat(14)}{ name }${' }'.repeat(14)} } } } }`);
    expect((await server.gql('{ __schema { queryType { name } } }')).errors).toBeUndefined();
  });

  it('answers 4,500 duplicate fields with LIMIT_EXCEEDED', async () => {
    const [overHttp, overWs] = await refusedOnBoth('LIMIT_EXCEEDED', `{ ${'__typename '.repeat(4_500)} }`);
    expect(JSON.stringify([overHttp, overWs])).not.toContain('Validation aborted');
  });

  it('refuses lone surrogates and bidirectional controls in names', async () => {
    const project = await createProject();
    for (const name of ['bad\uD800name', 'evil\u202Egnp.exe', 'x\u2066y']) {
      const [response] = await refusedOnBoth('BAD_USER_INPUT', REGISTER, { input: { project, dataset: name, uri: 's3://x', digest: sha() } });
      expect(response.errors?.[0]?.extensions).toMatchObject({ field: 'input.dataset' });
    }
  });
});

/** A masked client-to-server WebSocket text frame (RFC 6455), so several can leave in one write. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x81, 0x80 | length]) : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([header, mask, masked]);
}
