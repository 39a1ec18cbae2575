/**
 * The hostile-input suite, second part (the first is security.test.ts): what a hostile review
 * of the running gateway found, each on HTTP and WebSocket where both apply. Every refusal
 * asserts its error code and, for writes, that node, relationship and event counts are unchanged.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN, startTestGateway, wsCollect, type GraphQLResponse, type TestGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';

let server: TestGateway;
const driver = testDriver();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

beforeAll(async () => {
  server = await startTestGateway();
});
afterAll(async () => {
  await server.stop();
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
    const small = await startTestGateway({ env: { PEDIGREE_MAX_RESPONSE_BYTES: '2048' } });
    try {
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
    } finally {
      await small.stop();
    }
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
