import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';

const driver = testDriver();
const server = useGateway();
afterAll(async () => {
  await driver.close();
});

async function project(): Promise<string> {
  return (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('provenance') })).createProject.id;
}

interface BatchNode {
  key: string;
  kind: string;
  fields: Record<string, unknown>;
}

/** Records nodes and edges in one recordLineage batch; returns ids by key. */
async function record(projectId: string, nodes: BatchNode[], edges: { from: string; to: string; kind: string; role?: string }[] = []): Promise<Record<string, string>> {
  const data = await server.ok('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }', { input: { project: projectId, nodes, edges } });
  return Object.fromEntries(nodes.map((node, i) => [node.key, data.recordLineage.ids[i] as string]));
}

const dsv = (key: string, dataset: string, digest: string): BatchNode => ({ key, kind: 'DATASET_VERSION', fields: { dataset, uri: `s3://${dataset}/${digest}`, digest: `sha256:${digest.repeat(8)}` } });
const run = (key: string, fields: Record<string, unknown>): BatchNode => ({ key, kind: 'RUN', fields: { name: key, type: 'TRAINING', status: 'COMPLETED', ...fields } });

/** An independent canonical form: keys sorted at every level. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}

const MANIFEST = `query($of: ID!, $maxDepth: Int! = 100) { provenanceManifest(of: $of, maxDepth: $maxDepth) {
  subject { id kind } complete digest document
  datasets { id uri digest } artifacts { id name } runs { id params code { commit } environment { image python } } checkpoints { id step }
  modelVersions { id } deployments { id } } }`;

/**
 * raw (clicks) -> prepare -> features -> train (also uses labels) -> checkpoint -> model version -> prod deployment.
 */
async function pipeline() {
  const p = await project();
  const ids = await record(
    p,
    [
      dsv('raw', 'clicks', 'aa'),
      run('prepare', { type: 'DATA_PROCESSING', params: { window: { days: { max: 7 } } }, code: { commit: 'c0ffee' }, environment: { image: 'spark:3.5' } }),
      dsv('features', 'features', 'bb'),
      { key: 'labels', kind: 'ARTIFACT', fields: { type: 'labels', name: 'clicks-labels', uri: 's3://labels/1', digest: `sha256:${'cc'.repeat(8)}` } },
      run('train', { params: { optimizer: { adam: { lr: 0.001 } }, epochs: 3 }, code: { commit: 'beef' }, environment: { image: 'torch:2.5', python: '3.11' } }),
      { key: 'ckpt', kind: 'CHECKPOINT', fields: { run: 'train', step: 1000, uri: 's3://ckpt/1000' } },
      { key: 'model', kind: 'MODEL_VERSION', fields: { model: 'ranker', source: 'ckpt', semver: '1.0.0' } },
    ],
    [
      { from: 'prepare', to: 'raw', kind: 'USED', role: 'input' },
      { from: 'features', to: 'prepare', kind: 'GENERATED_BY' },
      { from: 'train', to: 'features', kind: 'USED', role: 'train' },
      { from: 'train', to: 'labels', kind: 'USED', role: 'labels' },
    ],
  );
  const deployment = (
    await server.ok('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { input: { version: ids['model'], environment: 'prod' } })
  ).deployModelVersion.id as string;
  return { project: p, ...ids, deployment } as Record<string, string>;
}

describe('provenanceManifest', () => {
  it('lists everything upstream of a deployment, typed and as a canonical document whose sha256 is the digest', async () => {
    const ids = await pipeline();
    const manifest = (await server.ok(MANIFEST, { of: ids['deployment'] })).provenanceManifest;

    expect(manifest.subject).toEqual({ id: ids['deployment'], kind: 'DEPLOYMENT' });
    expect(manifest.complete).toBe(true);
    const sorted = (...keys: string[]) => keys.map((k) => ids[k]!).sort();
    expect(manifest.datasets.map((d: { id: string }) => d.id)).toEqual(sorted('raw', 'features'));
    expect(manifest.datasets.find((d: { id: string }) => d.id === ids['raw'])).toEqual({ id: ids['raw'], uri: 's3://clicks/aa', digest: `sha256:${'aa'.repeat(8)}` });
    expect(manifest.artifacts).toEqual([{ id: ids['labels'], name: 'clicks-labels' }]);
    expect(manifest.runs.map((r: { id: string }) => r.id)).toEqual(sorted('prepare', 'train'));
    expect(manifest.runs.find((r: { id: string }) => r.id === ids['train'])).toMatchObject({
      params: { optimizer: { adam: { lr: 0.001 } }, epochs: 3 },
      code: { commit: 'beef' },
      environment: { image: 'torch:2.5', python: '3.11' },
    });
    expect(manifest.checkpoints).toEqual([{ id: ids['ckpt'], step: 1000 }]);
    expect(manifest.modelVersions).toEqual([{ id: ids['model'] }]);
    expect(manifest.deployments).toEqual([]);

    const document = manifest.document;
    expect(JSON.stringify(document)).toBe(JSON.stringify(sortKeys(document)));
    expect(manifest.digest).toBe(`sha256:${createHash('sha256').update(JSON.stringify(sortKeys(document))).digest('hex')}`);
    expect(document.subject).toMatchObject({ id: ids['deployment'], kind: 'DEPLOYMENT', model: 'ranker', environment: 'prod' });
    expect(document.datasets.map((d: { dataset: string }) => d.dataset).sort()).toEqual(['clicks', 'features']);
    expect(document.runs.find((r: { id: string }) => r.id === ids['prepare'])).toMatchObject({ params: { window: { days: { max: 7 } } }, code: { commit: 'c0ffee' } });
    expect(document.edges).toHaveLength(7);
    expect(document.edges).toContainEqual({ from: ids['train'], to: ids['labels'], kind: 'USED', role: 'labels' });
    expect(document.edges).toContainEqual({ from: ids['deployment'], to: ids['model'], kind: 'DEPLOYS', role: null });

    const again = (await server.ok(MANIFEST, { of: ids['deployment'] })).provenanceManifest;
    expect(JSON.stringify(again.document)).toBe(JSON.stringify(document));
    expect(again.digest).toBe(manifest.digest);
  });

  it('keeps its digest through lifecycle changes and changes it when provenance changes', async () => {
    const ids = await pipeline();
    const digest = async () => (await server.ok(MANIFEST, { of: ids['model'] })).provenanceManifest.digest as string;
    const before = await digest();

    await server.ok('mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { id } }', { input: { version: ids['model'], status: 'VALIDATED' } });
    const model = (await server.ok('query($id: ID!) { node(id: $id) { ... on ModelVersion { model { id } } } }', { id: ids['model'] })).node.model.id;
    await server.ok('mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name } }', { input: { model, alias: 'champion', version: ids['model'] } });
    await server.ok('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { input: { version: ids['model'], environment: 'staging' } });
    expect(await digest()).toBe(before);

    const extra = await record(ids['project']!, [dsv('extra', 'clicks', 'dd')], [{ from: ids['train']!, to: 'extra', kind: 'USED', role: 'holdout' }]);
    const after = (await server.ok(MANIFEST, { of: ids['model'] })).provenanceManifest;
    expect(after.digest).not.toBe(before);
    expect(after.datasets.map((d: { id: string }) => d.id)).toContain(extra['extra']);
  });

  it('is empty for a node with nothing upstream, with a stable digest', async () => {
    const p = await project();
    const { raw } = await record(p, [dsv('raw', 'clicks', 'ee')]);
    const first = (await server.ok(MANIFEST, { of: raw })).provenanceManifest;
    expect(first).toMatchObject({ complete: true, datasets: [], artifacts: [], runs: [], checkpoints: [], modelVersions: [], deployments: [] });
    expect(first.document).toMatchObject({ datasets: [], runs: [], edges: [], subject: { id: raw, dataset: 'clicks', digest: `sha256:${'ee'.repeat(8)}` } });
    expect((await server.ok(MANIFEST, { of: raw })).provenanceManifest.digest).toBe(first.digest);
  });

  it('says when maxDepth cut the provenance short', async () => {
    const ids = await pipeline();
    const cut = (await server.ok(MANIFEST, { of: ids['model'], maxDepth: 2 })).provenanceManifest;
    expect(cut.complete).toBe(false);
    expect(cut.document).toMatchObject({ complete: false, maxDepth: 2 });
    expect(cut.checkpoints.map((c: { id: string }) => c.id)).toEqual([ids['ckpt']]);
    expect(cut.runs.map((r: { id: string }) => r.id)).toEqual([ids['train']]);
    expect(cut.datasets).toEqual([]);
  });

  it('refuses unknown nodes and out-of-range depths, writing nothing', async () => {
    const ids = await pipeline();
    const before = await graphCounts(driver);
    const unknown = await server.gql(MANIFEST, { of: 'mv_00000000000000000000000000000000' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'of' });
    for (const maxDepth of [0, 1001]) {
      const response = await server.gql(MANIFEST, { of: ids['model'], maxDepth });
      expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'maxDepth' });
    }
    expect(await graphCounts(driver)).toEqual(before);
  });
});

const DIFF = `query($from: ID!, $to: ID!) { lineageDiff(from: $from, to: $to) {
  from { id } to { id } datasetsAdded { id } datasetsRemoved { id } paramsChanged { key values }
  codeChanged environmentChanged fromRun { id } toRun { id } } }`;

describe('lineageDiff', () => {
  /** Two model versions of one model: v2 swaps the features, adds a holdout set, changes lr and the image. */
  async function twoVersions() {
    const p = await project();
    const ids = await record(
      p,
      [
        dsv('raw', 'clicks', '01'),
        dsv('features1', 'features', '02'),
        dsv('features2', 'features', '03'),
        dsv('holdout', 'holdout', '04'),
        run('train1', { params: { optimizer: { adam: { lr: 0.1 } }, epochs: 3 }, code: { commit: 'abc' }, environment: { image: 'torch:2.4' } }),
        run('train2', { params: { optimizer: { adam: { lr: 0.2 } }, epochs: 3, seed: 7 }, code: { commit: 'abc' }, environment: { image: 'torch:2.5' } }),
        { key: 'ckpt1', kind: 'CHECKPOINT', fields: { run: 'train1', step: 1, uri: 's3://c/1' } },
        { key: 'ckpt2', kind: 'CHECKPOINT', fields: { run: 'train2', step: 1, uri: 's3://c/2' } },
        { key: 'v1', kind: 'MODEL_VERSION', fields: { model: 'ranker', source: 'ckpt1' } },
        { key: 'v2', kind: 'MODEL_VERSION', fields: { model: 'ranker', source: 'ckpt2' } },
      ],
      [
        { from: 'features1', to: 'raw', kind: 'DERIVED_FROM' },
        { from: 'features2', to: 'raw', kind: 'DERIVED_FROM' },
        { from: 'train1', to: 'features1', kind: 'USED' },
        { from: 'train2', to: 'features2', kind: 'USED' },
        { from: 'train2', to: 'holdout', kind: 'USED' },
      ],
    );
    return ids;
  }

  it('shows dataset versions added and removed upstream, changed params, code and environment', async () => {
    const ids = await twoVersions();
    const diff = (await server.ok(DIFF, { from: ids['v1'], to: ids['v2'] })).lineageDiff;
    expect(diff.from).toEqual({ id: ids['v1'] });
    expect(diff.to).toEqual({ id: ids['v2'] });
    expect(diff.datasetsAdded.map((d: { id: string }) => d.id).sort()).toEqual([ids['features2'], ids['holdout']].sort());
    expect(diff.datasetsRemoved).toEqual([{ id: ids['features1'] }]);
    expect(diff.paramsChanged).toEqual([
      { key: 'optimizer.adam.lr', values: [0.1, 0.2] },
      { key: 'seed', values: [null, 7] },
    ]);
    expect(diff.codeChanged).toBe(false);
    expect(diff.environmentChanged).toBe(true);
    expect(diff.fromRun).toEqual({ id: ids['train1'] });
    expect(diff.toRun).toEqual({ id: ids['train2'] });

    const reverse = (await server.ok(DIFF, { from: ids['v2'], to: ids['v1'] })).lineageDiff;
    expect(reverse.datasetsRemoved.map((d: { id: string }) => d.id).sort()).toEqual([ids['features2'], ids['holdout']].sort());
    expect(reverse.paramsChanged[0]).toEqual({ key: 'optimizer.adam.lr', values: [0.2, 0.1] });
  });

  it('finds nothing between a version and itself', async () => {
    const ids = await twoVersions();
    const diff = (await server.ok(DIFF, { from: ids['v1'], to: ids['v1'] })).lineageDiff;
    expect(diff).toMatchObject({ datasetsAdded: [], datasetsRemoved: [], paramsChanged: [], codeChanged: false, environmentChanged: false });
  });

  it('compares runs themselves, and nodes without a producing run', async () => {
    const ids = await twoVersions();
    const runs = (await server.ok(DIFF, { from: ids['train1'], to: ids['train2'] })).lineageDiff;
    expect(runs).toMatchObject({ fromRun: { id: ids['train1'] }, toRun: { id: ids['train2'] }, environmentChanged: true, codeChanged: false });
    const raw = (await server.ok(DIFF, { from: ids['raw'], to: ids['holdout'] })).lineageDiff;
    expect(raw).toMatchObject({ fromRun: null, toRun: null, paramsChanged: [], codeChanged: false, environmentChanged: false, datasetsAdded: [], datasetsRemoved: [] });
  });

  it('refuses nodes of different kinds and unknown nodes, writing nothing', async () => {
    const ids = await twoVersions();
    const before = await graphCounts(driver);
    const kinds = await server.gql(DIFF, { from: ids['v1'], to: ids['train1'] });
    expect(kinds.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const unknown = await server.gql(DIFF, { from: 'mv_00000000000000000000000000000000', to: ids['v1'] });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'from' });
    expect(await graphCounts(driver)).toEqual(before);
  });
});
