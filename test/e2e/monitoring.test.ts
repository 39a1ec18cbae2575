/**
 * Monitoring in serving through real HTTP and graphql-ws clients against the suite's Neo4j:
 * profiles, serving windows, skew against the baseline found through lineage, the
 * SERVING_SKEW_DETECTED event, thresholds, bad input (nothing written), roles, retention.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_VIEWER } from '../../src/auth/viewer.ts';
import { createWindowPruner } from '../../src/monitoring/retention.ts';
import { recordServingWindow } from '../../src/monitoring/windows.ts';
import { createProject, headCursor, pollAll, registerDataset, subscribe } from '../support/events.ts';
import { ADMIN, useGateway, type GraphQLResponse } from '../support/gateway.ts';
import { testDriver, unique } from '../support/graph.ts';
import type { Driver } from 'neo4j-driver';

let driver: Driver;
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
});
afterAll(async () => {
  await driver.close();
});

async function mutate(query: string, input: Record<string, unknown>): Promise<any> {
  const data = await server.ok<any>(query, { input });
  return Object.values(data)[0];
}
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const FINISH_RUN = 'mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }';
const CHECKPOINT = 'mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }';
const REGISTER_MODEL = 'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id model { id } } }';
const DEPLOY = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }';
const SET_PROFILE = 'mutation($input: SetDatasetProfileInput!) { setDatasetProfile(input: $input) { id profile { name histogram { edges counts } categories { value count } } } }';
const SET_THRESHOLD = 'mutation($input: SetSkewThresholdInput!) { setSkewThreshold(input: $input) }';
const SKEW_FIELDS = 'baseline { id } exceeded features { feature method distance threshold exceeded }';
const RECORD = `mutation($input: RecordServingWindowInput!) { recordServingWindow(input: $input) {
  deployment { id } start end metrics features { name histogram { edges counts } categories { value count } } skew { ${SKEW_FIELDS} }
} }`;

const TRAINING_PROFILE = [
  { name: 'age', histogram: { edges: [0, 20, 40, 60, 80], counts: [10, 40, 30, 20] } },
  { name: 'country', categories: [{ value: 'de', count: 50 }, { value: 'fr', count: 30 }, { value: 'it', count: 20 }] },
];

/** A training run USED inputs (id, role), a checkpoint, a model version from it, deployed to prod. */
async function deployTrainedOn(project: string, inputs: { id: string; role: string }[], model: string) {
  const run = (await mutate(START_RUN, { project, name: `train-${model}`, type: 'TRAINING', inputs })).id;
  const checkpoint = (await mutate(CHECKPOINT, { run, step: 100, uri: `s3://ckpt/${model}/100` })).id;
  await mutate(FINISH_RUN, { run, status: 'COMPLETED' });
  const version = await mutate(REGISTER_MODEL, { project, model, source: checkpoint });
  const deployment = (await mutate(DEPLOY, { version: version.id, environment: 'prod' })).id;
  return { run, version: version.id, deployment };
}

/** Nodes and relationships carrying the project's id, and its events. */
async function projectCounts(projectId: string): Promise<{ nodes: number; relationships: number; events: number }> {
  const { records } = await driver.executeQuery(
    `CALL () { MATCH (n {projectId: $projectId}) RETURN count(n) AS nodes }
     CALL () { MATCH (n {projectId: $projectId})-[r]-() RETURN count(DISTINCT r) AS relationships }
     CALL () { MATCH (e:Event {projectId: $projectId}) RETURN sum(coalesce(e.count, 1)) AS events }
     RETURN nodes, relationships, events`,
    { projectId },
  );
  const r = records[0]!;
  return { nodes: r.get('nodes'), relationships: r.get('relationships'), events: r.get('events') };
}

const hour = (h: number) => new Date(Date.UTC(2026, 10, 1, h)).toISOString();
const closeWindow = (deployment: string, h: number) => ({
  deployment,
  start: hour(h),
  end: hour(h + 1),
  metrics: [{ key: 'requests', value: 1000 }, { key: 'latency_p99_ms', value: 41.5 }],
  features: [
    { name: 'age', histogram: { edges: [0, 20, 40, 60, 80], counts: [11, 39, 31, 19] } },
    { name: 'country', categories: [{ value: 'fr', count: 29 }, { value: 'de', count: 51 }, { value: 'it', count: 20 }] },
  ],
});
const shiftedWindow = (deployment: string, h: number) => ({
  deployment,
  start: hour(h),
  end: hour(h + 1),
  metrics: [{ key: 'requests', value: 900 }],
  features: [
    // Other edges than the baseline's, re-binned onto them; most of the mass is now old.
    { name: 'age', histogram: { edges: [30, 50, 70, 90], counts: [5, 25, 70] } },
    { name: 'country', categories: [{ value: 'de', count: 48 }, { value: 'fr', count: 32 }, { value: 'it', count: 20 }] },
  ],
});

// Each test records a dozen or more mutations; on a busy shared machine a cold one took minutes.
describe('monitoring in serving', { timeout: 240_000 }, () => {
  it('tells a deployment drifting from its training data: one SERVING_SKEW_DETECTED to subscribers, latestSkew names the baseline and the feature', async () => {
    const project = await createProject(server, unique('mon-story'));
    const data = await registerDataset(server, project, 'clicks', 1);
    const profiled = await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    expect(profiled.profile.map((f: any) => f.name)).toEqual(['age', 'country']);
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');

    const subscriber = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: await headCursor(server) });
    try {
      const close = await mutate(RECORD, closeWindow(deployment, 0));
      expect(close.skew.baseline.id).toBe(data);
      expect(close.skew.exceeded).toBe(false);
      expect(close.skew.features.map((f: any) => [f.feature, f.method, f.exceeded])).toEqual([
        ['age', 'JENSEN_SHANNON', false],
        ['country', 'L_INFINITY', false],
      ]);
      expect(close.skew.features[1].distance).toBeCloseTo(0.01, 12); // de .50 -> .51, fr .30 -> .29
      expect(close.metrics).toEqual({ latency_p99_ms: 41.5, requests: 1000 });

      const shifted = await mutate(RECORD, shiftedWindow(deployment, 1));
      expect(shifted.skew.exceeded).toBe(true);
      const age = shifted.skew.features.find((f: any) => f.feature === 'age');
      expect(age).toMatchObject({ method: 'JENSEN_SHANNON', threshold: 0.1, exceeded: true });
      expect(age.distance).toBeGreaterThan(0.1);
      expect(age.distance).toBeLessThanOrEqual(1);

      await subscriber.waitFor(1);
      expect(subscriber.events.map((e) => [e.kind, e.subjectId, e.projectId])).toEqual([['SERVING_SKEW_DETECTED', deployment, project]]);

      // The same shifted window again is a no-op (no second event); another close window raises nothing.
      const again = await mutate(RECORD, shiftedWindow(deployment, 1));
      expect(again.skew).toEqual(shifted.skew);
      await mutate(RECORD, closeWindow(deployment, 2));
      const skewEvents = (await pollAll(server, { projects: [project], kinds: ['SERVING_SKEW_DETECTED'] })).map((e) => e.subjectId);
      expect(skewEvents).toEqual([deployment]);
      expect(subscriber.events).toHaveLength(1);

      // latestSkew is the newest window's (the close one at 02:00); the newest exceeding one is at 01:00.
      const read = await server.ok<any>(
        `query($id: ID!) { node(id: $id) { ... on Deployment {
           latestSkew { ${SKEW_FIELDS} }
           servingWindows(first: 2) { nodes { start end skew { exceeded } } pageInfo { hasNextPage endCursor } }
         } } }`,
        { id: deployment },
      );
      expect(read.node.latestSkew.baseline.id).toBe(data);
      expect(read.node.latestSkew.exceeded).toBe(false);
      expect(read.node.servingWindows.nodes.map((w: any) => [w.start, w.skew.exceeded])).toEqual([
        [hour(2), false],
        [hour(1), true],
      ]);
      expect(read.node.servingWindows.pageInfo.hasNextPage).toBe(true);
      const rest = await server.ok<any>(
        `query($id: ID!, $after: String) { node(id: $id) { ... on Deployment { servingWindows(first: 2, after: $after) { nodes { start } pageInfo { hasNextPage } } } } }`,
        { id: deployment, after: read.node.servingWindows.pageInfo.endCursor },
      );
      expect(rest.node.servingWindows.nodes.map((w: any) => w.start)).toEqual([hour(0)]);
      expect(rest.node.servingWindows.pageInfo.hasNextPage).toBe(false);

      // A shifted window now: latestSkew names the drifting feature.
      await mutate(RECORD, shiftedWindow(deployment, 3));
      const latest = (await server.ok<any>(`query($id: ID!) { node(id: $id) { ... on Deployment { latestSkew { ${SKEW_FIELDS} } } } }`, { id: deployment })).node.latestSkew;
      expect(latest.baseline.id).toBe(data);
      expect(latest.features.filter((f: any) => f.exceeded).map((f: any) => f.feature)).toEqual(['age']);
      await subscriber.waitFor(2);
      expect(subscriber.events.map((e) => e.kind)).toEqual(['SERVING_SKEW_DETECTED', 'SERVING_SKEW_DETECTED']);
    } finally {
      await subscriber.close();
    }
  });

  it('keeps windows out of lineage: no lineage label, not reached by traversals', async () => {
    const project = await createProject(server, unique('mon-lineage'));
    const data = await registerDataset(server, project, 'clicks', 2);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    const traversal = `query($id: ID!) { node(id: $id) { upstream(maxDepth: 20) { nodes { node { id } } reachableCount } downstream(maxDepth: 20) { reachableCount } } }`;
    const before = await server.ok<any>(traversal, { id: data });
    await mutate(RECORD, closeWindow(deployment, 0));
    await mutate(RECORD, shiftedWindow(deployment, 1));
    expect(await server.ok<any>(traversal, { id: data })).toEqual(before);
    const deploymentDown = await server.ok<any>(traversal, { id: deployment });
    expect(deploymentDown.node.downstream.reachableCount).toBe(0);
    const { records } = await driver.executeQuery(
      `MATCH (w:ServingWindow {deploymentId: $deployment}) RETURN count(w) AS windows, count { (w)--() } AS rels, sum(CASE WHEN w:LineageNode THEN 1 ELSE 0 END) AS lineage`,
      { deployment },
    );
    expect(records[0]!.toObject()).toEqual({ windows: 2, rels: 0, lineage: 0 });
  });

  it('finds the baseline through lineage: the profiled version behind the train input first, then the nearest; none when nothing is profiled', async () => {
    const project = await createProject(server, unique('mon-baseline'));
    const raw = await registerDataset(server, project, 'raw', 10);
    const prep = (await mutate(START_RUN, { project, name: 'prep', type: 'DATA_PROCESSING', inputs: [{ id: raw, role: 'input' }] })).id;
    const clean = await registerDataset(server, project, 'clean', 11, { producedBy: prep });
    await mutate(FINISH_RUN, { run: prep, status: 'COMPLETED' });
    const evalSet = await registerDataset(server, project, 'eval', 12);
    const { deployment } = await deployTrainedOn(project, [{ id: clean, role: 'train' }, { id: evalSet, role: 'eval' }], 'ranker');

    // Nothing profiled: the window is kept without a skew.
    const bare = await mutate(RECORD, closeWindow(deployment, 0));
    expect(bare.skew).toBeNull();
    // The eval set is nearest, but the raw data behind the train input is the training distribution.
    await mutate(SET_PROFILE, { datasetVersion: evalSet, features: TRAINING_PROFILE });
    expect((await mutate(RECORD, closeWindow(deployment, 1))).skew.baseline.id).toBe(evalSet);
    await mutate(SET_PROFILE, { datasetVersion: raw, features: TRAINING_PROFILE });
    expect((await mutate(RECORD, closeWindow(deployment, 2))).skew.baseline.id).toBe(raw);
    await mutate(SET_PROFILE, { datasetVersion: clean, features: TRAINING_PROFILE });
    expect((await mutate(RECORD, closeWindow(deployment, 3))).skew.baseline.id).toBe(clean);
  });

  it('applies the most specific threshold of the project, model and feature', async () => {
    const project = await createProject(server, unique('mon-threshold'));
    const data = await registerDataset(server, project, 'clicks', 3);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    expect(await mutate(SET_THRESHOLD, { project, threshold: 0.001 })).toBe(true);
    expect(await mutate(SET_THRESHOLD, { project, model: 'ranker', feature: 'age', threshold: 0.99 })).toBe(true);
    expect(await mutate(SET_THRESHOLD, { project, model: 'other', feature: 'country', threshold: 0.99 })).toBe(true);
    const window = await mutate(RECORD, shiftedWindow(deployment, 0));
    // The deployment's first window: two statements, each its own auto-commit transaction: one
    // read (deployment, key, thresholds, baseline), then one write of the window with its event.
    const writes = () => server.lastQueries().filter((q) => q.unit === 'recordServingWindow').length;
    expect(writes()).toBe(2);
    expect(window.skew.features.map((f: any) => [f.feature, f.threshold, f.exceeded])).toEqual([
      ['age', 0.99, false],
      ['country', 0.001, true],
    ]);
    // Upserted: the project's default again.
    await mutate(SET_THRESHOLD, { project, threshold: 0.5 });
    const next = await mutate(RECORD, shiftedWindow(deployment, 1));
    // The write computed from the thresholds the first window saw finds them changed and writes
    // nothing; the second, computed from the ones it found, writes the window (no event).
    expect(writes()).toBe(2);
    expect(next.skew.features.map((f: any) => [f.feature, f.threshold, f.exceeded])).toEqual([
      ['age', 0.99, false],
      ['country', 0.5, false],
    ]);
    expect(next.skew.exceeded).toBe(false);
    // Nothing changed since: one statement, the write (it checks the target it computed from).
    const third = await mutate(RECORD, shiftedWindow(deployment, 2));
    expect(writes()).toBe(1);
    expect(third.skew.features.map((f: any) => [f.feature, f.threshold, f.exceeded])).toEqual(next.skew.features.map((f: any) => [f.feature, f.threshold, f.exceeded]));
  });

  it('keeps a profile immutable: the same one again writes nothing, another is CONFLICT', async () => {
    const project = await createProject(server, unique('mon-profile'));
    const data = await registerDataset(server, project, 'clicks', 4);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const before = await projectCounts(project);
    const reordered = [TRAINING_PROFILE[1]!, { ...TRAINING_PROFILE[0]! }];
    const same = await mutate(SET_PROFILE, { datasetVersion: data, features: reordered });
    expect(same.id).toBe(data);
    expect(await projectCounts(project)).toEqual(before);
    const other = await server.gql(SET_PROFILE, { input: { datasetVersion: data, features: [TRAINING_PROFILE[0]] } });
    expect(other.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(await projectCounts(project)).toEqual(before);
  });

  it('refuses bad input with BAD_USER_INPUT and the field path, and writes nothing', async () => {
    const project = await createProject(server, unique('mon-bad'));
    const data = await registerDataset(server, project, 'clicks', 5);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    const window = (features: any[], extra: Record<string, unknown> = {}) => ({ ...shiftedWindow(deployment, 5), features, ...extra });
    const before = await projectCounts(project);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [RECORD, window([{ name: 'age', histogram: { edges: [0, 40, 20], counts: [1, 1] } }]), 'input.features[0].histogram.edges[2]'],
      [RECORD, window([{ name: 'age', histogram: { edges: [0, 20, 40], counts: [1] } }]), 'input.features[0].histogram.counts'],
      [RECORD, window([{ name: 'age', histogram: { edges: [0, 20], counts: [-1] } }]), 'input.features[0].histogram.counts[0]'],
      [RECORD, window([{ name: 'age', histogram: { edges: [0, 20], counts: [1] }, categories: [{ value: 'a', count: 1 }] }]), 'input.features[0]'],
      [RECORD, window([{ name: 'age', categories: [{ value: 'a', count: 1 }] }]), 'input.features[0]'], // the baseline's age is numeric
      [RECORD, window([], { start: hour(7), end: hour(6) }), 'input.end'],
      [RECORD, window(Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, histogram: { edges: [0, 1], counts: [1] } }))), 'input.features'],
      [SET_PROFILE, { datasetVersion: data, features: [{ name: 'x', histogram: { edges: [1, 1], counts: [1] } }] }, 'input.features[0].histogram.edges[1]'],
      [SET_THRESHOLD, { project, threshold: 1.5 }, 'input.threshold'],
    ];
    for (const [query, input, field] of cases) {
      const result = await server.gql(query, { input });
      expect(result.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    // NaN cannot be sent in JSON; the service refuses it when called by another adapter.
    await expect(
      recordServingWindow({ executor: server.gateway.executor, viewer: ADMIN_VIEWER }, window([{ name: 'age', histogram: { edges: [0, 20], counts: [Number.NaN] } }])),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'input.features[0].histogram.counts[0]' } });
    // A null count is refused by GraphQL's own input coercion, with the same code.
    const nulled: GraphQLResponse = await server.gql(RECORD, { input: window([{ name: 'age', histogram: { edges: [0, 20], counts: [null] } }]) });
    expect(nulled.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(await projectCounts(project)).toEqual(before);
    // The same key with other contents is CONFLICT, and still writes nothing.
    await mutate(RECORD, closeWindow(deployment, 8));
    const recorded = await projectCounts(project);
    const clash = await server.gql(RECORD, { input: shiftedWindow(deployment, 8) });
    expect(clash.errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(await projectCounts(project)).toEqual(recorded);
  });

  it('lets WRITERs record and VIEWERs read, within their project only', async () => {
    const project = await createProject(server, unique('mon-roles'));
    const elsewhere = await createProject(server, unique('mon-roles-other'));
    const data = await registerDataset(server, project, 'clicks', 6);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    const token = async (p: string, role: string) =>
      `Bearer ${(await mutate('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { project: p, role, name: unique(role) })).token}`;
    const writer = await token(project, 'WRITER');
    const viewer = await token(project, 'VIEWER');
    const outsider = await token(elsewhere, 'WRITER');
    const as = (authorization: string, query: string, input: Record<string, unknown>) => server.gql(query, { input }, { authorization });

    expect((await as(writer, RECORD, closeWindow(deployment, 0))).errors).toBeUndefined();
    expect((await as(writer, SET_THRESHOLD, { project, threshold: 0.2 })).errors).toBeUndefined();
    const before = await projectCounts(project);
    expect((await as(viewer, RECORD, closeWindow(deployment, 1))).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await as(viewer, SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE })).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect((await as(outsider, RECORD, closeWindow(deployment, 1))).errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect((await as(outsider, SET_THRESHOLD, { project, threshold: 0.3 })).errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(await projectCounts(project)).toEqual(before);

    const read = `query($id: ID!) { node(id: $id) { ... on Deployment { servingWindows { nodes { start } } latestSkew { baseline { id } } } } }`;
    const seen = await server.gql<any>(read, { id: deployment }, { authorization: viewer });
    expect(seen.data.node.servingWindows.nodes.map((w: any) => w.start)).toEqual([hour(0)]);
    expect(seen.data.node.latestSkew.baseline.id).toBe(data);
    expect((await server.gql<any>(read, { id: deployment }, { authorization: outsider })).data.node).toBeNull();
  });

  it('records windows over plain HTTP (POST /serving/v1/windows) like the mutation: skew, event, idempotency, errors with field paths, roles', async () => {
    const project = await createProject(server, unique('mon-http'));
    const data = await registerDataset(server, project, 'clicks', 7);
    await mutate(SET_PROFILE, { datasetVersion: data, features: TRAINING_PROFILE });
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    const url = server.url.replace(/\/graphql$/, '/serving/v1/windows');
    const post = async (body: unknown, authorization = ADMIN): Promise<{ status: number; body: any }> => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };

    const subscriber = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: await headCursor(server) });
    try {
      const close = await post(closeWindow(deployment, 0));
      expect(close.status).toBe(200);
      expect(close.body).toMatchObject({ deployment, start: hour(0), end: hour(1), skew: { baseline: data, exceeded: false } });
      expect(close.body.skew.features.map((f: any) => [f.feature, f.method, f.exceeded])).toEqual([
        ['age', 'JENSEN_SHANNON', false],
        ['country', 'L_INFINITY', false],
      ]);
      // The skew the mutation reports for the same window content elsewhere is the same report.
      const viaGraphql = await mutate(RECORD, closeWindow(deployment, 1));
      expect(close.body.skew.features).toEqual(viaGraphql.skew.features);

      const shifted = await post(shiftedWindow(deployment, 2));
      expect(shifted.body.skew.exceeded).toBe(true);
      await subscriber.waitFor(1);
      expect(subscriber.events.map((e) => [e.kind, e.subjectId])).toEqual([['SERVING_SKEW_DETECTED', deployment]]);
      // Again: the stored window, no second event; the window is readable through GraphQL.
      const counts = await projectCounts(project);
      expect((await post(shiftedWindow(deployment, 2))).body).toEqual(shifted.body);
      expect(await projectCounts(project)).toEqual(counts);
      const read = await server.ok<any>(`query($id: ID!) { node(id: $id) { ... on Deployment { latestSkew { exceeded baseline { id } } } } }`, { id: deployment });
      expect(read.node.latestSkew).toEqual({ exceeded: true, baseline: { id: data } });

      // Wrong types (JSON schema), wrong values (the service), a clash, malformed JSON: each names its field, nothing is written.
      const window = (features: unknown, extra: Record<string, unknown> = {}) => ({ ...shiftedWindow(deployment, 5), features, ...extra });
      const refused: Array<[unknown, number, string, string | undefined]> = [
        [window([{ name: 'age', histogram: { edges: [0, '20'], counts: [1] } }]), 400, 'BAD_USER_INPUT', 'input.features[0].histogram.edges[1]'],
        [window([{ name: 'age', histogram: { edges: [0, 20], counts: [null] } }]), 400, 'BAD_USER_INPUT', 'input.features[0].histogram.counts[0]'],
        [window([{ name: 'age', histogram: { edges: [0, 20] } }]), 400, 'BAD_USER_INPUT', 'input.features[0].histogram.counts'],
        [window([], { colour: 'red' }), 400, 'BAD_USER_INPUT', 'input.colour'],
        [{ deployment, start: hour(5) }, 400, 'BAD_USER_INPUT', 'input.end'],
        [[closeWindow(deployment, 5)], 400, 'BAD_USER_INPUT', 'input'],
        [window([{ name: 'age', histogram: { edges: [0, 40, 20], counts: [1, 1] } }]), 400, 'BAD_USER_INPUT', 'input.features[0].histogram.edges[2]'],
        [window([], { start: hour(7), end: hour(6) }), 400, 'BAD_USER_INPUT', 'input.end'],
        [window([{ name: 'age', categories: [{ value: 'a', count: 1 }] }]), 400, 'BAD_USER_INPUT', 'input.features[0]'],
        [{ ...closeWindow(deployment, 2) }, 409, 'CONFLICT', 'input'],
        [{ ...closeWindow('Deployment_01J0000000000000000000000', 9) }, 404, 'NOT_FOUND', 'input.deployment'],
        ['{"deployment": ', 400, 'BAD_USER_INPUT', undefined],
      ];
      const before = await projectCounts(project);
      for (const [body, status, code, field] of refused) {
        const answer = await post(body);
        expect([answer.status, answer.body.code, answer.body.field], JSON.stringify(body).slice(0, 120)).toEqual([status, code, field]);
      }
      expect(await projectCounts(project)).toEqual(before);

      // Roles: a WRITER records; a VIEWER is FORBIDDEN; another project's WRITER and no credential learn nothing.
      const token = async (p: string, role: string) =>
        `Bearer ${(await mutate('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { project: p, role, name: unique(role) })).token}`;
      const elsewhere = await createProject(server, unique('mon-http-other'));
      const [writer, viewer, outsider] = [await token(project, 'WRITER'), await token(project, 'VIEWER'), await token(elsewhere, 'WRITER')];
      expect((await post(closeWindow(deployment, 10), writer)).status).toBe(200);
      const recorded = await projectCounts(project);
      expect((await post(closeWindow(deployment, 11), viewer)).body.code).toBe('FORBIDDEN');
      expect((await post(closeWindow(deployment, 11), outsider)).body.code).toBe('NOT_FOUND');
      const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(closeWindow(deployment, 11)) });
      expect([anonymous.status, ((await anonymous.json()) as any).code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(await projectCounts(project)).toEqual(recorded);
      expect(subscriber.events).toHaveLength(1);
    } finally {
      await subscriber.close();
    }
  });

  it('prunes windows that ended before the retention, and keeps the rest', async () => {
    const project = await createProject(server, unique('mon-retention'));
    const data = await registerDataset(server, project, 'clicks', 7);
    const { deployment } = await deployTrainedOn(project, [{ id: data, role: 'train' }], 'ranker');
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    await mutate(RECORD, { deployment, start: at(now - 3 * 86_400_000), end: at(now - 3 * 86_400_000 + 3_600_000) });
    await mutate(RECORD, { deployment, start: at(now - 3_600_000), end: at(now) });
    const pruner = createWindowPruner({ executor: server.gateway.executor, logger: pino({ level: 'silent' }), config: { retentionMs: 2 * 86_400_000, pruneIntervalMs: 0 } });
    expect(await pruner.prune()).toBeGreaterThanOrEqual(1);
    const left = await server.ok<any>(`query($id: ID!) { node(id: $id) { ... on Deployment { servingWindows { nodes { end } } } } }`, { id: deployment });
    expect(left.node.servingWindows.nodes.map((w: any) => w.end)).toEqual([at(now)]);
    await pruner.stop();
  });
});
