import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';

const server = useGateway();

const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

async function project(): Promise<string> {
  return (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('audit') })).createProject.id;
}

async function version(projectId: string): Promise<string> {
  return (
    await server.ok('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
      input: { project: projectId, dataset: 'd', uri: 's3://d', digest: sha() },
    })
  ).registerDatasetVersion.id;
}

async function run(projectId: string, input: Record<string, unknown>, status: string | null = 'COMPLETED'): Promise<string> {
  const id = (await server.ok('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { project: projectId, type: 'TRAINING', ...input } })).startRun.id;
  if (status) await server.ok('mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }', { input: { run: id, status } });
  return id;
}

const CACHED = 'query($input: CacheLookupInput!) { cachedRun(input: $input) { id } }';

describe('cachedRun', () => {
  it('finds the newest COMPLETED run of the same computation, whatever the order of params and inputs', async () => {
    const p = await project();
    const [a, b] = [await version(p), await version(p)];
    const same = { params: { opt: { lr: 0.1, name: 'adam' }, epochs: 3 }, code: { commit: 'abc' }, inputs: [{ id: a }, { id: b }] };
    await run(p, { name: 'older', ...same });
    const newer = await run(p, { name: 'newer', ...same });
    await run(p, { name: 'still running', ...same }, null);
    await run(p, { name: 'failed', ...same }, 'FAILED');

    const lookup = { project: p, type: 'TRAINING', code: { commit: 'abc' }, params: { epochs: 3, opt: { name: 'adam', lr: 0.1 } }, inputs: [b, a] };
    expect((await server.ok(CACHED, { input: lookup })).cachedRun).toEqual({ id: newer });
    expect((await server.ok(CACHED, { input: { ...lookup, params: { epochs: 4, opt: { name: 'adam', lr: 0.1 } } } })).cachedRun).toBeNull();
    expect((await server.ok(CACHED, { input: { ...lookup, inputs: [a] } })).cachedRun).toBeNull();
    expect((await server.ok(CACHED, { input: { ...lookup, type: 'EVALUATION' } })).cachedRun).toBeNull();
    expect((await server.ok(CACHED, { input: { ...lookup, project: await project() } })).cachedRun).toBeNull();
  });

  it('rejects params that are not an object', async () => {
    const response = await server.gql(CACHED, { input: { project: await project(), type: 'TRAINING', params: [1], inputs: [] } });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.params' });
  });
});

describe('compareRuns', () => {
  it('shows differing params (dotted, three levels deep) and every metric side by side, in the order given', async () => {
    const p = await project();
    const first = await run(p, { name: 'a', params: { model: { encoder: { layers: 6 } }, lr: 0.1 } }, null);
    const second = await run(p, { name: 'b', params: { model: { encoder: { layers: 12 } }, lr: 0.1, seed: 7 } }, null);
    await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', { input: { run: first, metrics: [{ key: 'loss', value: 0.5 }, { key: 'loss', value: 0.4 }] } });
    await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', { input: { run: second, metrics: [{ key: 'acc', value: 0.8 }] } });

    const data = await server.ok(
      'query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } differingParams { key values } metrics { key values } } }',
      { ids: [second, first] },
    );
    expect(data.compareRuns).toEqual({
      runs: [{ id: second }, { id: first }],
      differingParams: [
        { key: 'model.encoder.layers', values: [12, 6] },
        { key: 'seed', values: [7, null] },
      ],
      metrics: [
        { key: 'acc', values: [0.8, null] },
        { key: 'loss', values: [null, 0.4] },
      ],
    });
  });

  it('answers NOT_FOUND naming the unknown id', async () => {
    const p = await project();
    const known = await run(p, { name: 'a' }, null);
    const response = await server.gql('query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } } }', { ids: [known, 'run_00000000000000000000000000000000'] });
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'ids[1]' });
  });
});
