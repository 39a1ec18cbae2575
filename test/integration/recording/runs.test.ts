import { afterAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';

const driver = testDriver();

const server = useGateway();
afterAll(async () => {
  await driver.close();
});

const CREATE_PROJECT = 'mutation($name: String!) { createProject(input: { name: $name }) { id } }';
const START = `mutation($input: StartRunInput!) { startRun(input: $input) { id name status fingerprint } }`;
const LOG_METRICS = `mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id summaryMetrics } }`;
const LOG_CKP = `mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id step displayName run { id } } }`;
const FINISH = `mutation($input: FinishRunInput!) { finishRun(input: $input) { id status endedAt } }`;

interface Started {
  id: string;
  name: string;
  status: string;
  fingerprint: string;
}

async function project(): Promise<string> {
  return (await server.ok<{ createProject: { id: string } }>(CREATE_PROJECT, { name: unique('runs') })).createProject.id;
}

async function start(input: Record<string, unknown>): Promise<Started> {
  return (await server.ok<{ startRun: Started }>(START, { input: { type: 'TRAINING', name: unique('run'), ...input } })).startRun;
}

async function eventsOf(subjectId: string, kind: string): Promise<number> {
  const { records } = await driver.executeQuery('MATCH (e:Event {subjectId: $subjectId, kind: $kind}) RETURN count(e) AS n', { subjectId, kind });
  return records[0]!.get('n') as number;
}

describe('startRun', () => {
  it('records a run with inputs, roles, params, code, environment, experiment and parent', async () => {
    const projectId = await project();
    const parent = await start({ project: projectId, name: 'pipeline', type: 'PIPELINE' });
    const prep = await start({ project: projectId, name: 'prep', type: 'DATA_PROCESSING' });
    const run = await start({
      project: projectId,
      name: 'train',
      experiment: 'baseline',
      parent: parent.id,
      params: { lr: 0.001, optimizer: { name: 'adam', betas: [0.9, 0.99] } },
      code: { repository: 'git@x:y.git', commit: 'abc123', path: 'train.py', dirty: false },
      environment: { image: 'pytorch:2', python: '3.12', packages: { torch: '2.4' }, hardware: { gpus: 8 } },
      inputs: [{ id: prep.id, role: 'train' }, { id: parent.id }],
    });
    expect(run).toMatchObject({ name: 'train', status: 'RUNNING' });
    expect(run.id).toMatch(/^run_/);
    expect(await eventsOf(run.id, 'RUN_STARTED')).toBe(1);

    const data = await server.ok(
      `query($id: ID!, $project: ID!) {
        run(id: $id) {
          id kind displayName name type status params summaryMetrics startedAt endedAt fingerprint
          project { id }
          experiment { name project { id } runs { nodes { id } pageInfo { hasNextPage } } }
          parent { id children { id } }
          code { repository commit path digest dirty }
          environment { image python packages hardware }
          inputs { role node { id kind ... on Run { name } } }
          outputs { role }
          checkpoints { id }
          metrics { key }
        }
        experiment(project: $project, name: "baseline") { name }
      }`,
      { id: run.id, project: projectId },
    );
    expect(data['run']).toMatchObject({
      id: run.id,
      kind: 'RUN',
      displayName: 'train',
      type: 'TRAINING',
      status: 'RUNNING',
      params: { lr: 0.001, optimizer: { name: 'adam', betas: [0.9, 0.99] } },
      summaryMetrics: {},
      endedAt: null,
      project: { id: projectId },
      experiment: { name: 'baseline', project: { id: projectId }, runs: { nodes: [{ id: run.id }], pageInfo: { hasNextPage: false } } },
      parent: { id: parent.id, children: [{ id: run.id }] },
      code: { repository: 'git@x:y.git', commit: 'abc123', path: 'train.py', digest: null, dirty: false },
      environment: { image: 'pytorch:2', python: '3.12', packages: { torch: '2.4' }, hardware: { gpus: 8 } },
      outputs: [],
      checkpoints: [],
      metrics: [],
    });
    expect(data['run'].inputs).toHaveLength(2);
    expect(data['run'].inputs).toEqual(
      expect.arrayContaining([
        { role: 'train', node: { id: prep.id, kind: 'RUN', name: 'prep' } },
        { role: null, node: { id: parent.id, kind: 'RUN', name: 'pipeline' } },
      ]),
    );
    expect(data['experiment']).toEqual({ name: 'baseline' });
  });

  it('reuses the experiment and pages its runs and the project experiments, newest first', async () => {
    const projectId = await project();
    const runs: Started[] = [];
    for (let i = 0; i < 5; i++) runs.push(await start({ project: projectId, experiment: 'exp-a' }));
    await start({ project: projectId, experiment: 'exp-b' });
    const page1 = await server.ok(
      `query($p: ID!) { project(id: $p) { experiments(first: 1) { nodes { name } pageInfo { hasNextPage endCursor } } }
        experiment(project: $p, name: "exp-a") { runs(first: 3) { nodes { id } pageInfo { hasNextPage endCursor } } } }`,
      { p: projectId },
    );
    expect(page1['project'].experiments.nodes).toEqual([{ name: 'exp-b' }]);
    expect(page1['project'].experiments.pageInfo.hasNextPage).toBe(true);
    expect(page1['experiment'].runs.nodes.map((r: { id: string }) => r.id)).toEqual([runs[4]!.id, runs[3]!.id, runs[2]!.id]);
    const page2 = await server.ok(
      `query($p: ID!, $a: String, $b: String) { project(id: $p) { experiments(first: 5, after: $a) { nodes { name } pageInfo { hasNextPage } } }
        experiment(project: $p, name: "exp-a") { runs(first: 3, after: $b) { nodes { id } pageInfo { hasNextPage } } } }`,
      { p: projectId, a: page1['project'].experiments.pageInfo.endCursor, b: page1['experiment'].runs.pageInfo.endCursor },
    );
    expect(page2['project'].experiments).toEqual({ nodes: [{ name: 'exp-a' }], pageInfo: { hasNextPage: false } });
    expect(page2['experiment'].runs).toEqual({ nodes: [{ id: runs[1]!.id }, { id: runs[0]!.id }], pageInfo: { hasNextPage: false } });
  });

  it('gives equal fingerprints to equal computations and different ones when params differ', async () => {
    const projectId = await project();
    const input = await start({ project: projectId });
    const common = { project: projectId, code: { commit: 'c1' }, inputs: [{ id: input.id, role: 'data' }] };
    const a = await start({ ...common, name: 'a', params: { lr: 0.1, bs: 32 } });
    const b = await start({ ...common, name: 'b', params: { bs: 32, lr: 0.1 } });
    const c = await start({ ...common, name: 'c', params: { bs: 32, lr: 0.2 } });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(c.fingerprint).not.toBe(a.fingerprint);
  });

  it('creates one run and one event for 20 concurrent starts with one idempotency key', async () => {
    const projectId = await project();
    const idempotencyKey = unique('key');
    const before = await graphCounts(driver);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => server.gql<{ startRun: Started }>(START, { input: { project: projectId, name: 'same', type: 'TRAINING', experiment: 'e', idempotencyKey } })),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.startRun.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(await eventsOf(id!, 'RUN_STARTED')).toBe(1);
    const after = await graphCounts(driver);
    // the run and its experiment; PART_OF; one event and its audit entry
    expect(after).toEqual({ nodes: before.nodes + 4, relationships: before.relationships + 1, events: before.events + 1 });
  });

  it('rejects bad input with the field and writes nothing', async () => {
    const projectId = await project();
    const before = await graphCounts(driver);
    const cases: [Record<string, unknown>, string][] = [
      [{ project: projectId, name: 'a\u0000b', type: 'TRAINING' }, 'input.name'],
      [{ project: projectId, name: 'x', type: 'TRAINING', params: [1, 2] }, 'input.params'],
      [{ project: projectId, name: 'x', type: 'TRAINING', params: 3 }, 'input.params'],
      [{ project: projectId, name: '  ', type: 'TRAINING' }, 'input.name'],
    ];
    for (const [input, field] of cases) {
      const result = await server.gql(START, { input });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('answers NOT_FOUND for unknown or other-project inputs and parents and writes nothing', async () => {
    const projectId = await project();
    const other = await start({ project: await project() });
    const before = await graphCounts(driver);
    const cases: [Record<string, unknown>, string][] = [
      [{ inputs: [{ id: 'dsv_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e' }] }, 'input.inputs[0].id'],
      [{ inputs: [{ id: other.id, role: 'x' }] }, 'input.inputs[0].id'],
      [{ parent: other.id }, 'input.parent'],
      [{ parent: 'run_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e' }, 'input.parent'],
    ];
    for (const [extra, field] of cases) {
      const result = await server.gql(START, { input: { project: projectId, name: 'x', type: 'TRAINING', experiment: 'never', ...extra } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field });
    }
    const missing = await server.gql(START, { input: { project: 'prj_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e', name: 'x', type: 'TRAINING' } });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(await graphCounts(driver)).toEqual(before);
  });
});

describe('logMetrics', () => {
  it('keeps the history per key and the latest value in summaryMetrics', async () => {
    const run = await start({ project: await project() });
    await server.ok(LOG_METRICS, {
      input: {
        run: run.id,
        metrics: [
          { key: 'loss', value: 1.0, step: 0 },
          { key: 'loss', value: 0.5, step: 1, timestamp: '2026-01-01T00:00:00Z' },
          { key: 'acc', value: 0.1 },
        ],
      },
    });
    const logged = await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 0.25, step: 2 }] } });
    expect(logged['logMetrics'].summaryMetrics).toEqual({ loss: 0.25, acc: 0.1 });
    const data = await server.ok(
      `query($id: ID!) { run(id: $id) { all: metrics { key last points { step value timestamp } } some: metrics(keys: ["acc"]) { key } } }`,
      { id: run.id },
    );
    const [acc, loss] = data['run'].all;
    expect(acc).toMatchObject({ key: 'acc', last: 0.1, points: [{ step: null, value: 0.1 }] });
    expect(loss.key).toBe('loss');
    expect(loss.last).toBe(0.25);
    expect(loss.points.map((p: { step: number; value: number }) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 0.25],
    ]);
    expect(new Date(loss.points[1].timestamp).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(data['run'].some).toEqual([{ key: 'acc' }]);
  });

  it('rejects a negative step and metrics for a finished run, writing nothing', async () => {
    const run = await start({ project: await project() });
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 1, step: 0 }] } });
    const before = await graphCounts(driver);
    const negative = await server.gql(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 1, step: 1 }, { key: 'loss', value: 1, step: -1 }] } });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.metrics[1].step' });
    const blank = await server.gql(LOG_METRICS, { input: { run: run.id, metrics: [{ key: '', value: 1 }] } });
    expect(blank.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.metrics[0].key' });
    const unknown = await server.gql(LOG_METRICS, { input: { run: 'run_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e', metrics: [{ key: 'l', value: 1 }] } });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(await graphCounts(driver)).toEqual(before);

    await server.ok(FINISH, { input: { run: run.id, status: 'COMPLETED' } });
    const finished = await graphCounts(driver);
    const late = await server.gql(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 1, step: 9 }] } });
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT' });
    expect(await graphCounts(driver)).toEqual(finished);
  });

  it('logs a batch of points in one statement, its own transaction: the run checked and locked, the append, the summary', async () => {
    const run = await start({ project: await project() });
    const metrics = Array.from({ length: 1_000 }, (_, i) => ({ key: i % 2 ? 'loss' : 'acc', value: i, step: i >> 1 }));
    const data = await server.ok(LOG_METRICS, { input: { run: run.id, metrics } });
    expect(data['logMetrics'].summaryMetrics).toEqual({ acc: 998, loss: 999 });
    expect(server.lastQueries()).toEqual([{ unit: 'logMetrics', autoCommit: true }]);
    // The answer's summary is the stored one.
    const read = await server.ok(`query($id: ID!) { run(id: $id) { summaryMetrics } }`, { id: run.id });
    expect(read['run'].summaryMetrics).toEqual(data['logMetrics'].summaryMetrics);
  });

  it('keeps every key in the summary, whatever its characters, and the values the gateway would write', async () => {
    const run = await start({ project: await project() });
    const keys = ['loss', 'a"quoted"\\key', 'päth/with spaces', 'tiny', 'huge', 'negative'];
    const values = [0.25, 1, 3, 1.5e-7, 1e21, -42];
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: keys.slice(0, 3).map((key, i) => ({ key, value: values[i], step: 0 })) } });
    const logged = await server.ok(LOG_METRICS, { input: { run: run.id, metrics: keys.slice(2).map((key, i) => ({ key, value: values[i + 2]! * 2, step: 1 })) } });
    const expected = Object.fromEntries(keys.map((key, i) => [key, i < 2 ? values[i] : values[i]! * 2]));
    expect(logged['logMetrics'].summaryMetrics).toEqual(expected);
    const read = await server.ok(`query($id: ID!) { run(id: $id) { summaryMetrics metrics { key last } } }`, { id: run.id });
    expect(read['run'].summaryMetrics).toEqual(expected);
    expect(Object.fromEntries(read['run'].metrics.map((m: { key: string; last: number }) => [m.key, m.last]))).toEqual(expected);
  });

  it('appends 100,000 points without slowing down run reads', async () => {
    const run = await start({ project: await project() });
    const empty = await start({ project: await project() });
    for (let batch = 0; batch < 10; batch++) {
      const metrics = Array.from({ length: 10_000 }, (_, i) => ({ key: i % 2 ? 'loss' : 'acc', value: Math.random(), step: batch * 5_000 + (i >> 1) }));
      await server.ok(LOG_METRICS, { input: { run: run.id, metrics } });
    }
    const READ = `query($id: ID!) { run(id: $id) { id name status summaryMetrics } }`;
    const data = await server.ok(READ, { id: run.id });
    const withPoints = server.lastQueries();
    expect(Object.keys(data['run'].summaryMetrics).sort()).toEqual(['acc', 'loss']);
    // Reading the run (its summary included) runs the same statements as for a run without any
    // point: the points are never read for it, so their number cannot slow it down.
    await server.ok(READ, { id: empty.id });
    expect(withPoints.length).toBeGreaterThan(0);
    expect(withPoints).toEqual(server.lastQueries());
    const history = await server.ok(`query($id: ID!) { run(id: $id) { metrics(keys: ["loss"]) { points { step } } } }`, { id: run.id });
    expect(history['run'].metrics[0].points).toHaveLength(50_000);
    expect(history['run'].metrics[0].points[49_999].step).toBe(49_999);
    // What an append rewrites stays bounded: the series' own lists keep fewer than a chunk of
    // points, the other 49,000 per key sit in sealed chunks written once.
    expect(await seriesLayout(run.id)).toEqual([
      { key: 'acc', own: 0, chunks: 50, chunkPoints: 50_000 },
      { key: 'loss', own: 0, chunks: 50, chunkPoints: 50_000 },
    ]);
  });

  it('seals a thousand points at a time, and reads chunks and the rest back in step order', async () => {
    const run = await start({ project: await project() });
    const points = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ key: 'loss', value: (from + i) / 10, step: from + i }));
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: points(0, 999) } });
    expect(await seriesLayout(run.id)).toEqual([{ key: 'loss', own: 999, chunks: 0, chunkPoints: 0 }]);
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: points(999, 1) } });
    expect(await seriesLayout(run.id)).toEqual([{ key: 'loss', own: 0, chunks: 1, chunkPoints: 1_000 }]);
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: points(1_000, 2_345) } });
    expect(await seriesLayout(run.id)).toEqual([{ key: 'loss', own: 345, chunks: 3, chunkPoints: 3_000 }]);
    const read = await server.ok(`query($id: ID!) { run(id: $id) { metrics { key last points { step value } } } }`, { id: run.id });
    const [loss] = read['run'].metrics;
    expect(loss.last).toBe(334.4);
    expect(loss.points.map((p: { step: number }) => p.step)).toEqual(Array.from({ length: 3_345 }, (_, i) => i));
    expect(loss.points.map((p: { value: number }) => p.value)).toEqual(Array.from({ length: 3_345 }, (_, i) => i / 10));
  });

  it('keeps every point and one chunk per index when 25 calls append to one series at once', async () => {
    const run = await start({ project: await project() });
    await Promise.all(
      Array.from({ length: 25 }, (_, call) =>
        server.ok(LOG_METRICS, { input: { run: run.id, metrics: Array.from({ length: 100 }, (_, i) => ({ key: 'loss', value: call, step: call * 100 + i })) } }),
      ),
    );
    expect(await seriesLayout(run.id)).toEqual([{ key: 'loss', own: 500, chunks: 2, chunkPoints: 2_000 }]);
    const read = await server.ok(`query($id: ID!) { run(id: $id) { metrics { points { step value } } } }`, { id: run.id });
    const points: { step: number; value: number }[] = read['run'].metrics[0].points;
    // Each call's points stay together and in order; the calls land in some order.
    expect([...points.map((p) => p.step)].sort((a, b) => a - b)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    for (let i = 0; i < points.length; i += 100) {
      expect(points.slice(i, i + 100).map((p) => p.step)).toEqual(Array.from({ length: 100 }, (_, k) => points[i]!.value * 100 + k));
    }
  });

  it('seals a series stored whole in its own lists (before chunks) on its next append', async () => {
    const run = await start({ project: await project() });
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 0, step: 0 }] } });
    // The layout of earlier versions: every point in the series' lists, no chunks, no `sealed`.
    await driver.executeQuery(
      `MATCH (m:MetricSeries {runId: $runId, key: 'loss'})
       SET m.steps = range(0, 2499), m.values = [i IN range(0, 2499) | toFloat(i)], m.timestamps = [i IN range(0, 2499) | datetime()], m.last = 2499.0
       REMOVE m.sealed`,
      { runId: run.id },
    );
    const history = `query($id: ID!) { run(id: $id) { metrics { points { step value } } } }`;
    expect((await server.ok(history, { id: run.id }))['run'].metrics[0].points).toHaveLength(2_500);
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 2_500, step: 2_500 }] } });
    expect(await seriesLayout(run.id)).toEqual([{ key: 'loss', own: 501, chunks: 2, chunkPoints: 2_000 }]);
    const points = (await server.ok(history, { id: run.id }))['run'].metrics[0].points;
    expect(points.map((p: { step: number; value: number }) => p.step === p.value)).toEqual(Array.from({ length: 2_501 }, () => true));
    expect(points.map((p: { step: number }) => p.step)).toEqual(Array.from({ length: 2_501 }, (_, i) => i));
  });
});

/** Per key of the run: points in the series' own lists, sealed chunks (indexes 0..n-1) and their points. */
async function seriesLayout(runId: string): Promise<{ key: string; own: number; chunks: number; chunkPoints: number }[]> {
  const { records } = await driver.executeQuery(
    `MATCH (m:MetricSeries {runId: $runId})
     OPTIONAL MATCH (m)-[:HAS_CHUNK]->(c:MetricChunk)
     WITH m, collect(c) AS cs
     WHERE all(i IN range(0, size(cs) - 1) WHERE any(c IN cs WHERE c.index = i)) AND all(c IN cs WHERE size(c.steps) = size(c.values) AND size(c.values) = size(c.timestamps))
     RETURN m.key AS key, size(m.steps) AS own, size(cs) AS chunks, reduce(n = 0, c IN cs | n + size(c.steps)) AS chunkPoints
     ORDER BY key`,
    { runId },
  );
  return records.map((r) => ({ key: r.get('key') as string, own: Number(r.get('own')), chunks: Number(r.get('chunks')), chunkPoints: Number(r.get('chunkPoints')) }));
}

describe('logCheckpoint', () => {
  it('records 20 checkpoints, and the same step again returns the existing one', async () => {
    const run = await start({ project: await project(), name: 'trainer' });
    const ids: string[] = [];
    for (let step = 0; step < 20; step++) {
      const data = await server.ok(LOG_CKP, { input: { run: run.id, step: step * 100, epoch: step, uri: `s3://b/ckp-${step}`, digest: `d${step}`, sizeBytes: 1e9, metrics: { loss: 1 / (step + 1) } } });
      expect(data['logCheckpoint']).toMatchObject({ step: step * 100, displayName: `trainer@${step * 100}`, run: { id: run.id } });
      ids.push(data['logCheckpoint'].id);
    }
    expect(await eventsOf(ids[3]!, 'CHECKPOINT_CREATED')).toBe(1);
    const before = await graphCounts(driver);
    const again = await server.ok(LOG_CKP, { input: { run: run.id, step: 300, uri: 's3://b/other' } });
    expect(again['logCheckpoint'].id).toBe(ids[3]);
    expect(await graphCounts(driver)).toEqual(before);

    const data = await server.ok(
      `query($id: ID!, $ckp: ID!) {
        run(id: $id) { checkpoints { id step } outputs { role node { id } } }
        node(id: $ckp) { kind displayName ... on Checkpoint { step epoch uri digest sizeBytes metrics retention deletedAt run { name } project { id } } }
      }`,
      { id: run.id, ckp: ids[2] },
    );
    expect(data['run'].checkpoints.map((c: { id: string }) => c.id)).toEqual(ids);
    expect(data['run'].outputs).toHaveLength(20);
    expect(data['run'].outputs[0].role).toBe('checkpoint');
    expect(data['node']).toMatchObject({
      kind: 'CHECKPOINT',
      displayName: 'trainer@200',
      step: 200,
      epoch: 2,
      uri: 's3://b/ckp-2',
      digest: 'd2',
      sizeBytes: 1e9,
      metrics: { loss: 1 / 3 },
      retention: 'RETAINED',
      deletedAt: null,
      run: { name: 'trainer' },
    });
  });

  it("writes its event in the checkpoint's statement, with the run's project and name, and the audit JSON exactly as JSON.stringify would", async () => {
    const projectId = await project();
    for (const name of ['trainer "v2"', 'C:\\runs\\ckp', 'tabs\tand\nlines\r\nhere', 'résumé 🚀 / ⟨x⟩']) {
      const run = await start({ project: projectId, name });
      const { logCheckpoint: ckp } = await server.ok(LOG_CKP, { input: { run: run.id, step: 1, uri: 's3://b/ckp' } });
      const { records } = await driver.executeQuery(
        `MATCH (e:Event {subjectId: $id}) MATCH (a:AuditEntry {id: e.id})
         RETURN e.kind AS kind, e.projectId AS projectId, e.name AS name, a.projectId AS auditProject, a.action AS action, a.detailsJson AS detailsJson`,
        { id: ckp.id },
      );
      expect(records.map((r) => r.toObject()), name).toEqual([
        {
          kind: 'CHECKPOINT_CREATED',
          projectId,
          name,
          auditProject: projectId,
          action: 'logCheckpoint',
          detailsJson: JSON.stringify({ event: 'CHECKPOINT_CREATED', name, alias: null, previousId: null }),
        },
      ]);
    }
  });

  it('rejects a negative step and an unknown run, writing nothing', async () => {
    const run = await start({ project: await project() });
    const before = await graphCounts(driver);
    const negative = await server.gql(LOG_CKP, { input: { run: run.id, step: -1, uri: 's3://x' } });
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.step' });
    const notObject = await server.gql(LOG_CKP, { input: { run: run.id, step: 1, uri: 's3://x', metrics: [1] } });
    expect(notObject.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.metrics' });
    const unknown = await server.gql(LOG_CKP, { input: { run: 'run_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e', step: 1, uri: 's3://x' } });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(await graphCounts(driver)).toEqual(before);
  });
});

describe('finishRun', () => {
  it('finishes a running run with outputs and final metrics, once', async () => {
    const projectId = await project();
    const run = await start({ project: projectId });
    const ckp = await server.ok(LOG_CKP, { input: { run: run.id, step: 1, uri: 's3://x' } });
    await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: 2, step: 0 }] } });
    const finished = await server.ok(FINISH, { input: { run: run.id, status: 'COMPLETED', outputs: [{ id: ckp['logCheckpoint'].id, role: 'final' }], metrics: [{ key: 'loss', value: 0.1, step: 5 }] } });
    expect(finished['finishRun']).toMatchObject({ id: run.id, status: 'COMPLETED', endedAt: expect.any(String) });
    expect(await eventsOf(run.id, 'RUN_FINISHED')).toBe(1);
    const data = await server.ok(`query($id: ID!) { run(id: $id) { summaryMetrics metrics { key points { step value } } outputs { role node { id } } } }`, { id: run.id });
    expect(data['run'].summaryMetrics).toEqual({ loss: 0.1 });
    expect(data['run'].metrics[0].points).toEqual([
      { step: 0, value: 2 },
      { step: 5, value: 0.1 },
    ]);
    expect(data['run'].outputs).toEqual(
      expect.arrayContaining([
        { role: 'checkpoint', node: { id: ckp['logCheckpoint'].id } },
        { role: 'final', node: { id: ckp['logCheckpoint'].id } },
      ]),
    );

    const before = await graphCounts(driver);
    const again = await server.ok(FINISH, { input: { run: run.id, status: 'COMPLETED' } });
    expect(again['finishRun']).toEqual(finished['finishRun']);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('accepts every terminal status from RUNNING', async () => {
    const projectId = await project();
    for (const status of ['COMPLETED', 'FAILED', 'CANCELED', 'CACHED']) {
      const run = await start({ project: projectId });
      expect((await server.ok(FINISH, { input: { run: run.id, status } }))['finishRun'].status).toBe(status);
    }
  });

  it('answers CONFLICT for an illegal state change and writes nothing', async () => {
    const projectId = await project();
    const running = await start({ project: projectId });
    const failed = await start({ project: projectId });
    await server.ok(FINISH, { input: { run: failed.id, status: 'FAILED' } });
    const before = await graphCounts(driver);
    for (const [id, status] of [
      [running.id, 'RUNNING'],
      [failed.id, 'COMPLETED'],
      [failed.id, 'RUNNING'],
    ] as const) {
      const result = await server.gql(FINISH, { input: { run: id, status } });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT' });
    }
    const unknownStatus = await server.gql(FINISH, { input: { run: running.id, status: 'DONE' } });
    expect(unknownStatus.errors).toHaveLength(1);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('answers NOT_FOUND for outputs of another project and BAD_USER_INPUT for outputs of the wrong kind, writing nothing', async () => {
    const projectId = await project();
    const run = await start({ project: projectId });
    const otherRun = await start({ project: await project() });
    const otherCkp = await server.ok(LOG_CKP, { input: { run: otherRun.id, step: 1, uri: 's3://x' } });
    const sibling = await start({ project: projectId });
    const before = await graphCounts(driver);
    const foreign = await server.gql(FINISH, { input: { run: run.id, status: 'COMPLETED', outputs: [{ id: otherCkp['logCheckpoint'].id }] } });
    expect(foreign.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.outputs[0].id' });
    const wrongKind = await server.gql(FINISH, { input: { run: run.id, status: 'COMPLETED', outputs: [{ id: sibling.id }] } });
    expect(wrongKind.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.outputs[0].id' });
    expect(await graphCounts(driver)).toEqual(before);
    expect((await server.ok(`query($id: ID!) { run(id: $id) { status } }`, { id: run.id }))['run'].status).toBe('RUNNING');
  });
});

describe('reads', () => {
  it('loads relationships of many runs in one query per relationship', async () => {
    const projectId = await project();
    for (let i = 0; i < 10; i++) {
      const run = await start({ project: projectId, experiment: 'batch' });
      await server.ok(LOG_METRICS, { input: { run: run.id, metrics: [{ key: 'loss', value: i }] } });
      await server.ok(LOG_CKP, { input: { run: run.id, step: 1, uri: 's3://x' } });
    }
    const data = await server.ok(
      `query($p: ID!) { experiment(project: $p, name: "batch") { runs { nodes { id experiment { name } parent { id } children { id } inputs { role } outputs { role }
          checkpoints { displayName run { id } } metrics { key } } } } }`,
      { p: projectId },
    );
    expect(data['experiment'].runs.nodes).toHaveLength(10);
    // experiment by name, experiment byIds, runs page, children, inputs, outputs, checkpoints,
    // metrics, and runs byIds (checkpoint run / displayName): each once.
    expect(server.lastQueryCount()).toBeLessThanOrEqual(10);
  });
});
