import { randomBytes } from 'node:crypto';
import type { Driver } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';

let driver: Driver;
const server = useGateway();
beforeAll(async () => {
  driver = testDriver();
});
afterAll(async () => {
  await driver.close();
});

const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

async function project(): Promise<string> {
  return (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('search') })).createProject.id;
}

interface RunSpec {
  name: string;
  params?: Record<string, unknown>;
  metrics?: Record<string, number>;
  status?: string | null;
  type?: string;
  experiment?: string;
  inputs?: { id: string }[];
}

async function run(projectId: string, spec: RunSpec): Promise<string> {
  const { name, params, metrics, status = 'COMPLETED', type = 'TRAINING', experiment, inputs } = spec;
  const id = (
    await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', {
      input: { project: projectId, name, type, params, experiment, inputs },
    })
  ).startRun.id as string;
  const points = Object.entries(metrics ?? {}).map(([key, value]) => ({ key, value }));
  if (status) await server.ok('mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }', { input: { run: id, status, metrics: points } });
  else if (points.length) await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', { input: { run: id, metrics: points } });
  return id;
}

const RUNS = `query($filter: RunFilter!, $orderBy: RunOrder, $first: Int!, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;

async function names(filter: Record<string, unknown>, orderBy?: Record<string, unknown>, first = 100): Promise<string[]> {
  return (await server.ok(RUNS, { filter, orderBy, first })).runs.nodes.map((n: { name: string }) => n.name);
}

/** Every page of a query, `first` at a time. */
async function allPages(filter: Record<string, unknown>, orderBy: Record<string, unknown> | undefined, first: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const data: any = (await server.ok(RUNS, { filter, orderBy, first, after })).runs;
    seen.push(...data.nodes.map((n: { name: string }) => n.name));
    if (!data.pageInfo.hasNextPage) return seen;
    after = data.pageInfo.endCursor;
  }
  throw new Error('more than 50 pages');
}

describe('runs(filter, orderBy)', () => {
  it('lists a project newest first by default, and nothing of another project', async () => {
    const [p, other] = [await project(), await project()];
    for (const name of ['a', 'b', 'c']) await run(p, { name });
    await run(other, { name: 'elsewhere' });
    expect(await names({ project: p })).toEqual(['c', 'b', 'a']);
  });

  it('orders by a metric with ties broken by id and runs without the metric last (newest first)', async () => {
    const p = await project();
    const ids: Record<string, string> = {};
    for (const [name, acc] of [['low', 0.5], ['tie1', 0.9], ['none1', null], ['tie2', 0.9], ['high', 0.95], ['none2', null]] as const) {
      ids[name] = await run(p, { name, metrics: acc === null ? { loss: 1 } : { acc, loss: 1 } });
    }
    const ties = ['tie1', 'tie2'].sort((a, b) => (ids[a]! < ids[b]! ? 1 : -1));
    expect(await names({ project: p }, { metric: 'acc', direction: 'DESC' })).toEqual(['high', ...ties, 'low', 'none2', 'none1']);
    expect(await names({ project: p }, { metric: 'acc', direction: 'ASC' })).toEqual(['low', ...[...ties].reverse(), 'high', 'none2', 'none1']);
    // The same order, page by page, across the seam between runs with and without the metric.
    for (const first of [1, 2, 3, 4]) {
      expect(await allPages({ project: p }, { metric: 'acc', direction: 'DESC' }, first)).toEqual(['high', ...ties, 'low', 'none2', 'none1']);
    }
  });

  it('uses the latest value of a metric logged several times', async () => {
    const p = await project();
    const a = await run(p, { name: 'a', status: null, metrics: { acc: 0.99 } });
    await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', { input: { run: a, metrics: [{ key: 'acc', value: 0.1 }] } });
    await run(p, { name: 'b', metrics: { acc: 0.5 } });
    expect(await names({ project: p }, { metric: 'acc' })).toEqual(['b', 'a']);
    expect(await names({ project: p, metrics: [{ key: 'acc', gt: 0.5 }] })).toEqual([]);
    expect(await names({ project: p, metrics: [{ key: 'acc', gte: 0.5 }] })).toEqual(['b']);
    expect(await names({ project: p, metrics: [{ key: 'acc', lt: 0.5 }] })).toEqual(['a']);
    expect(await names({ project: p, metrics: [{ key: 'acc', gt: 0.05, lte: 0.5 }] })).toEqual(['b', 'a']);
    expect(await names({ project: p, metrics: [{ key: 'missing', gt: 0 }] })).toEqual([]);
  });

  it('filters by params nested three levels, compared as canonical JSON values', async () => {
    const p = await project();
    await run(p, { name: 'adam-small', params: { model: { optimizer: { name: 'adam', lr: 0.001, betas: [0.9, 0.99] } }, layers: 2 } });
    await run(p, { name: 'adam-big', params: { layers: 8, model: { optimizer: { lr: 1e-3, name: 'adam', betas: [0.9, 0.999] } } } });
    await run(p, { name: 'sgd', params: { model: { optimizer: { name: 'sgd', lr: 0.1 } }, layers: '2' } });
    await run(p, { name: 'flat', params: { 'model.optimizer.name': 'other' } });

    expect(await names({ project: p, params: [{ key: 'model.optimizer.name', eq: 'adam' }] })).toEqual(['adam-big', 'adam-small']);
    expect(await names({ project: p, params: [{ key: 'model.optimizer.lr', eq: 0.001 }] })).toEqual(['adam-big', 'adam-small']);
    expect(await names({ project: p, params: [{ key: 'model.optimizer.betas', eq: [0.9, 0.99] }] })).toEqual(['adam-small']);
    // 2 and '2' are different JSON values.
    expect(await names({ project: p, params: [{ key: 'layers', eq: 2 }] })).toEqual(['adam-small']);
    expect(await names({ project: p, params: [{ key: 'layers', in: ['2', 8] }] })).toEqual(['sgd', 'adam-big']);
    expect(
      await names({ project: p, params: [{ key: 'model.optimizer.name', in: ['adam', 'sgd'] }, { key: 'layers', in: [2, '2'] }] }),
    ).toEqual(['sgd', 'adam-small']);
    // A key naming an object is not a leaf: it matches nothing.
    expect(await names({ project: p, params: [{ key: 'model.optimizer', eq: { name: 'sgd', lr: 0.1 } }] })).toEqual([]);
  });

  it('filters by experiment, type, status, input used and start time', async () => {
    const p = await project();
    const dsv = (
      await server.ok('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
        input: { project: p, dataset: 'd', uri: 's3://d', digest: sha() },
      })
    ).registerDatasetVersion.id;
    await run(p, { name: 'sweep-1', experiment: 'sweep', inputs: [{ id: dsv }] });
    await run(p, { name: 'sweep-2', experiment: 'sweep', status: 'FAILED' });
    const middle = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await run(p, { name: 'eval', type: 'EVALUATION', inputs: [{ id: dsv }] });
    await run(p, { name: 'running', status: null });
    const experiment = (await server.ok('query($p: ID!) { experiment(project: $p, name: "sweep") { id } }', { p })).experiment.id;

    expect(await names({ project: p, experiment })).toEqual(['sweep-2', 'sweep-1']);
    expect(await names({ project: p, types: ['EVALUATION'] })).toEqual(['eval']);
    expect(await names({ project: p, statuses: ['FAILED', 'RUNNING'] })).toEqual(['running', 'sweep-2']);
    expect(await names({ project: p, used: dsv })).toEqual(['eval', 'sweep-1']);
    expect(await names({ project: p, used: dsv, experiment })).toEqual(['sweep-1']);
    expect(await names({ project: p, startedAfter: middle })).toEqual(['running', 'eval']);
    expect(await names({ project: p, startedBefore: middle })).toEqual(['sweep-2', 'sweep-1']);
  });

  it('pages stably: every run once, in order, while new runs are recorded between pages', async () => {
    const p = await project();
    // One batch: all runs start in the same transaction, so startedAt ties and id decides.
    const nodes = Array.from({ length: 7 }, (_, i) => ({ key: `r${i}`, kind: 'RUN', fields: { name: `batch-${i}`, type: 'TRAINING' } }));
    const ids: string[] = (await server.ok('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }', { input: { project: p, nodes, edges: [] } }))
      .recordLineage.ids;
    const expected = ids.map((id, i) => ({ id, name: `batch-${i}` })).sort((a, b) => (a.id < b.id ? 1 : -1)).map((r) => r.name);

    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = (await server.ok(RUNS, { filter: { project: p }, first: 3, after })).runs;
      seen.push(...data.nodes.map((n: { name: string }) => n.name));
      await run(p, { name: `late-${seen.length}` });
      if (!data.pageInfo.hasNextPage) break;
      after = data.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('answers an empty page for a project the caller cannot read', async () => {
    const [p, mine] = [await project(), await project()];
    await run(p, { name: 'secret' });
    const viewer = (
      await server.ok('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { input: { project: mine, role: 'VIEWER', name: unique('tok') } })
    ).createApiToken.token;
    const response = await server.gql(RUNS, { filter: { project: p }, first: 10 }, { authorization: `Bearer ${viewer}` });
    expect(response.errors).toBeUndefined();
    expect(response.data?.runs).toEqual({ nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('rejects bad arguments with BAD_USER_INPUT and the field, writing nothing', async () => {
    const p = await project();
    await run(p, { name: 'a', metrics: { acc: 1 } });
    const cursor = (await server.ok(RUNS, { filter: { project: p }, first: 0 + 1 })).runs.pageInfo.endCursor as string;
    const before = await graphCounts(driver);
    const cases: [Record<string, unknown>, string][] = [
      [{ filter: { project: p, params: [{ key: 'lr' }] }, first: 5 }, 'filter.params[0]'],
      [{ filter: { project: p, params: [{ key: 'lr', eq: 1, in: [1] }] }, first: 5 }, 'filter.params[0]'],
      [{ filter: { project: p, params: [{ key: 'a..b', eq: 1 }] }, first: 5 }, 'filter.params[0].key'],
      [{ filter: { project: p, params: [{ key: 'lr', in: [] }] }, first: 5 }, 'filter.params[0].in'],
      [{ filter: { project: p, metrics: [{ key: 'acc' }] }, first: 5 }, 'filter.metrics[0]'],
      [{ filter: { project: p }, first: 501 }, 'first'],
      [{ filter: { project: p }, first: -1 }, 'first'],
      [{ filter: { project: p }, orderBy: { metric: ' ' }, first: 5 }, 'orderBy.metric'],
      [{ filter: { project: p }, first: 5, after: 'not-a-cursor' }, 'after'],
      // A cursor of the newest-first order is not one of the metric order.
      [{ filter: { project: p }, orderBy: { metric: 'acc' }, first: 5, after: cursor }, 'after'],
    ];
    for (const [variables, field] of cases) {
      const response = await server.gql(RUNS, variables);
      expect(response.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('reads one page in one Cypher statement (two across the seam of a metric order)', async () => {
    const p = await project();
    await run(p, { name: 'with', metrics: { acc: 1 } });
    await run(p, { name: 'without' });
    await names({ project: p }, undefined, 5);
    expect(server.lastQueryCount()).toBe(1);
    expect(await names({ project: p }, { metric: 'acc' }, 5)).toEqual(['with', 'without']);
    expect(server.lastQueryCount()).toBe(2);
  });
});
