import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useGateway, type GraphQLResponse } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';

const driver = testDriver();

const server = useGateway();
afterAll(async () => {
  await driver.close();
});

const sha = () => `sha256:${randomBytes(32).toString('hex')}`;

const RECORD = `mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids created existing edges } }`;

interface BatchResult {
  ids: string[];
  created: number;
  existing: number;
  edges: number;
}

interface BatchNode {
  key: string;
  kind: string;
  externalId?: string;
  fields: Record<string, unknown>;
}

interface BatchEdge {
  from: string;
  to: string;
  kind: string;
  role?: string;
}

async function createProject(): Promise<string> {
  const data = await server.ok<{ createProject: { id: string } }>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', {
    name: unique('batch'),
  });
  return data.createProject.id;
}

async function record(project: string, nodes: BatchNode[], edges: BatchEdge[] = []): Promise<BatchResult> {
  return (await server.ok<{ recordLineage: BatchResult }>(RECORD, { input: { project, nodes, edges } })).recordLineage;
}

/** An autologger's batch: data prep, training with checkpoints, a model version, an evaluation. */
function pipeline(tag: string, digests: { raw: string; train: string }): { nodes: BatchNode[]; edges: BatchEdge[] } {
  const nodes: BatchNode[] = [
    { key: 'raw', kind: 'DATASET_VERSION', externalId: `${tag}/raw`, fields: { dataset: `${tag}-clicks`, uri: 's3://raw', digest: digests.raw } },
    {
      key: 'prep',
      kind: 'RUN',
      externalId: `${tag}/prep`,
      fields: { name: 'prep', type: 'DATA_PROCESSING', inputs: [{ id: 'raw', role: 'source' }], status: 'COMPLETED' },
    },
    {
      key: 'train-data',
      kind: 'DATASET_VERSION',
      externalId: `${tag}/train-data`,
      fields: { dataset: `${tag}-train`, uri: 's3://train', digest: digests.train, label: 'v1', producedBy: 'prep' },
    },
    {
      key: 'train',
      kind: 'RUN',
      externalId: `${tag}/train`,
      fields: {
        name: 'train',
        type: 'TRAINING',
        experiment: `${tag}-exp`,
        params: { lr: 0.01, layers: { n: 3 } },
        code: { repository: 'git@example.com:ml.git', commit: 'abc123' },
        environment: { image: 'pytorch:2.4', python: '3.11' },
        inputs: [{ id: 'train-data', role: 'train' }],
        status: 'COMPLETED',
      },
    },
    ...[100, 200, 300].map((step) => ({
      key: `ckp-${step}`,
      kind: 'CHECKPOINT',
      externalId: `${tag}/ckp-${step}`,
      fields: { run: 'train', step, uri: `s3://ckp/${step}`, metrics: { loss: 1 / step } },
    })),
    { key: 'model', kind: 'MODEL_VERSION', externalId: `${tag}/model`, fields: { model: `${tag}-ranker`, source: 'ckp-300', semver: '1.0.0' } },
    { key: 'eval', kind: 'RUN', externalId: `${tag}/eval`, fields: { name: 'eval', type: 'EVALUATION' } },
    { key: 'report', kind: 'ARTIFACT', externalId: `${tag}/report`, fields: { type: 'report', name: 'eval-report', digest: sha() } },
  ];
  const edges: BatchEdge[] = [
    { from: 'eval', to: 'model', kind: 'USED', role: 'model' },
    { from: 'eval', to: 'train-data', kind: 'USED', role: 'holdout' },
    { from: 'report', to: 'eval', kind: 'GENERATED_BY' },
  ];
  return { nodes, edges };
}

async function expectRejected(response: GraphQLResponse, code: string, field?: string): Promise<void> {
  expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response.errors)).toBe(code);
  if (field !== undefined) expect(response.errors?.[0]?.extensions?.field).toBe(field);
}

describe('recordLineage', () => {
  it('records a whole pipeline in one batch, readable like single mutations wrote it', async () => {
    const project = await createProject();
    const { nodes, edges } = pipeline(unique('p'), { raw: sha(), train: sha() });
    const before = await graphCounts(driver);
    const result = await record(project, nodes, edges);

    expect(result.created).toBe(nodes.length);
    expect(result.existing).toBe(0);
    // Inline: prep USED raw, train-data GENERATED_BY prep, train USED train-data, 3 checkpoints
    // GENERATED_BY train, model DERIVED_FROM ckp-300; explicit: 3.
    expect(result.edges).toBe(1 + 1 + 1 + 3 + 1 + 3);
    expect(result.ids.map((id) => id.split('_')[0])).toEqual(['dsv', 'run', 'dsv', 'run', 'ckp', 'ckp', 'ckp', 'mv', 'run', 'art']);

    const after = await graphCounts(driver);
    expect(after.events - before.events).toBe(nodes.length + 2); // prep and train also finished

    const [, prep, trainData, train, , , ckp300, model, evalRun] = result.ids;
    const data = await server.ok(
      `query($train: ID!, $model: ID!, $eval: ID!, $trainData: ID!) {
        train: node(id: $train) { ... on Run { status params code { commit } environment { image } experiment { name }
          inputs { role node { id } } checkpoints { step } } }
        model: node(id: $model) { ... on ModelVersion { number semver sourceCheckpoint { id } producedBy { id } model { name } } }
        eval: node(id: $eval) { ... on Run { status inputs { role node { id } } } }
        trainData: node(id: $trainData) { ... on DatasetVersion { number label producedBy { id } } }
      }`,
      { train, model, eval: evalRun, trainData },
    );
    expect(data.train).toMatchObject({
      status: 'COMPLETED',
      params: { layers: { n: 3 }, lr: 0.01 },
      code: { commit: 'abc123' },
      environment: { image: 'pytorch:2.4' },
      inputs: [{ role: 'train', node: { id: trainData } }],
      checkpoints: [{ step: 100 }, { step: 200 }, { step: 300 }],
    });
    expect(data.model).toMatchObject({ number: 1, semver: "1.0.0", sourceCheckpoint: { id: ckp300 }, producedBy: { id: train } });
    expect(data.eval.status).toBe('RUNNING');
    expect(data.eval.inputs.map((i: { role: string }) => i.role).sort()).toEqual(['holdout', 'model']);
    expect(data.trainData).toEqual({ number: 1, label: 'v1', producedBy: { id: prep } });
  });

  it('writes nothing when the same batch is sent again, and returns the same ids', async () => {
    const project = await createProject();
    const batch = pipeline(unique('p'), { raw: sha(), train: sha() });
    const first = await record(project, batch.nodes, batch.edges);
    const before = await graphCounts(driver);
    const again = await record(project, batch.nodes, batch.edges);
    expect(again).toEqual({ ids: first.ids, created: 0, existing: batch.nodes.length, edges: 0 });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('resolves nodes to existing ones by natural key, as the single mutations do, and continues version numbers', async () => {
    const project = await createProject();
    const dataset = unique('ds');
    const digests = [sha(), sha()];
    const registered = [];
    for (const digest of digests) {
      const data = await server.ok(
        `mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id number } }`,
        { input: { project, dataset, uri: 's3://x', digest } },
      );
      registered.push(data.registerDatasetVersion as { id: string; number: number });
    }
    const newDigest = sha();
    const result = await record(project, [
      { key: 'old', kind: 'DATASET_VERSION', fields: { dataset, uri: 's3://x', digest: digests[1] } },
      { key: 'new', kind: 'DATASET_VERSION', fields: { dataset, uri: 's3://x', digest: newDigest } },
      { key: 'newer', kind: 'DATASET_VERSION', fields: { dataset, uri: 's3://x', digest: sha() } },
    ]);
    expect(result.ids[0]).toBe(registered[1]!.id);
    expect(result).toMatchObject({ created: 2, existing: 1 });

    const { records } = await driver.executeQuery(
      `MATCH (v:DatasetVersion) WHERE v.id IN $ids
       OPTIONAL MATCH (e:Event {subjectId: v.id})
       RETURN v.id AS id, v.number AS number, e.previousId AS previous ORDER BY number`,
      { ids: result.ids.slice(1) },
    );
    expect(records.map((r) => [r.get('id'), r.get('number'), r.get('previous')])).toEqual([
      [result.ids[1], 3, registered[1]!.id],
      [result.ids[2], 4, result.ids[1]],
    ]);
  });

  it("resolves a checkpoint of an existing run by its step; a new run's checkpoint at the same step is new", async () => {
    const project = await createProject();
    const started = await server.ok(`mutation($input: StartRunInput!) { startRun(input: $input) { id } }`, { input: { project, name: unique('run'), type: 'TRAINING' } });
    const runId = (started.startRun as { id: string }).id;
    const logged = await server.ok(`mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }`, { input: { run: runId, step: 100, uri: 's3://c/100' } });
    const result = await record(project, [
      { key: 'same', kind: 'CHECKPOINT', fields: { run: runId, step: 100, uri: 's3://c/100' } },
      { key: 'later', kind: 'CHECKPOINT', fields: { run: runId, step: 200, uri: 's3://c/200' } },
      { key: 'other', kind: 'RUN', fields: { name: unique('run'), type: 'TRAINING' } },
      { key: 'other-100', kind: 'CHECKPOINT', fields: { run: 'other', step: 100, uri: 's3://o/100' } },
    ]);
    expect(result.ids[0]).toBe((logged.logCheckpoint as { id: string }).id);
    expect(result).toMatchObject({ created: 3, existing: 1 });
    const { records } = await driver.executeQuery('MATCH (c:Checkpoint) WHERE c.id IN $ids RETURN c.runId + "@" + c.step AS at', { ids: result.ids });
    expect(new Set(records.map((r) => r.get('at') as string))).toEqual(new Set([`${runId}@100`, `${runId}@200`, `${result.ids[2]}@100`]));
  });

  it('fingerprints a batch run exactly like startRun with the same inputs', async () => {
    const project = await createProject();
    const digest = sha();
    const { ids } = await record(project, [
      { key: 'data', kind: 'DATASET_VERSION', fields: { dataset: unique('ds'), uri: 's3://d', digest } },
      { key: 'run', kind: 'RUN', fields: { name: 'a', type: 'TRAINING', params: { b: 2, a: 1 }, code: { commit: 'c0ffee' } } },
    ], [{ from: 'run', to: 'data', kind: 'USED', role: 'train' }]);
    const started = await server.ok(
      `mutation($input: StartRunInput!) { startRun(input: $input) { fingerprint } }`,
      { input: { project, name: 'b', type: 'TRAINING', params: { a: 1, b: 2 }, code: { commit: 'c0ffee' }, inputs: [{ id: ids[0] }] } },
    );
    const batchRun = await server.ok(`query($id: ID!) { run(id: $id) { fingerprint } }`, { id: ids[1] });
    expect(batchRun.run.fingerprint).toBe(started.startRun.fingerprint);
  });

  it('costs the same number of Cypher statements for 10 elements and for 10,000', async () => {
    const project = await createProject();
    const batchOf = (pairs: number) => {
      const dataset = unique('wide');
      const nodes: BatchNode[] = [];
      const edges: BatchEdge[] = [];
      for (let i = 0; i < pairs; i++) {
        nodes.push({ key: `d${i}`, kind: 'DATASET_VERSION', fields: { dataset, uri: `s3://d/${i}`, digest: sha() } });
        nodes.push({ key: `r${i}`, kind: 'RUN', fields: { name: `r${i}`, type: 'TRAINING' } });
        edges.push({ from: `r${i}`, to: `d${i}`, kind: 'USED' });
        if (i > 0) edges.push({ from: `r${i}`, to: `d${i - 1}`, kind: 'USED' });
      }
      return { nodes, edges };
    };
    const small = batchOf(3);
    const smallResult = await record(project, small.nodes, small.edges);
    const smallCount = server.lastQueryCount();

    const big = batchOf(2_500); // 5,000 nodes + 4,999 edges
    const before = await graphCounts(driver);
    const bigResult = await record(project, big.nodes, big.edges);
    const bigCount = server.lastQueryCount();
    const after = await graphCounts(driver);

    expect(smallResult).toMatchObject({ created: 6, edges: 5 });
    expect(bigResult).toMatchObject({ created: 5_000, existing: 0, edges: 4_999 });
    expect(bigCount).toBe(smallCount);
    // 5,000 nodes, the dataset, one event per node in the compact layout (5 groups of 1,000) and
    // one audit entry for the batch; 4,999 USED + 2,500 VERSION_OF.
    expect(after.nodes - before.nodes).toBe(5_000 + 1 + 5 + 1);
    expect(after.relationships - before.relationships).toBe(4_999 + 2_500);
    expect(after.events - before.events).toBe(5_000);
    const audit = await server.ok('query($p: ID!) { auditLog(project: $p, first: 1) { nodes { action subject { id } details } } }', { p: project });
    expect(audit.auditLog.nodes).toEqual([
      { action: 'recordLineage', subject: null, details: { created: 5_000, existing: 0, edges: 4_999, events: { DATASET_VERSION_CREATED: 2_500, RUN_STARTED: 2_500 } } },
    ]);
  });

  describe('misuse writes nothing', () => {
    let project: string;
    let otherProjectRun: string;

    beforeAll(async () => {
      project = await createProject();
      const other = await createProject();
      const started = await server.ok(`mutation($input: StartRunInput!) { startRun(input: $input) { id } }`, {
        input: { project: other, name: 'x', type: 'OTHER' },
      });
      otherProjectRun = started.startRun.id;
      await record(project, [{ key: 'r', kind: 'RUN', externalId: 'taken-by-a-run', fields: { name: 'r', type: 'OTHER' } }]);
    });

    const ds = (key: string, fields: Record<string, unknown> = {}): BatchNode => ({
      key,
      kind: 'DATASET_VERSION',
      fields: { dataset: 'misuse', uri: 's3://m', digest: sha(), ...fields },
    });
    const run = (key: string, fields: Record<string, unknown> = {}): BatchNode => ({ key, kind: 'RUN', fields: { name: key, type: 'OTHER', ...fields } });

    const cases: Array<[string, () => { nodes: BatchNode[]; edges?: BatchEdge[] }, string, string?]> = [
      ['a repeated key', () => ({ nodes: [ds('a'), ds('a')] }), 'BAD_USER_INPUT', 'input.nodes[1].key'],
      ['a malformed digest', () => ({ nodes: [ds('a'), ds('b', { digest: 'md5:XYZ' })] }), 'BAD_USER_INPUT', 'input.nodes[1].fields.digest'],
      ['a missing required field', () => ({ nodes: [{ key: 'a', kind: 'DATASET_VERSION', fields: { dataset: 'x', uri: 's3://x' } }] }), 'BAD_USER_INPUT', 'input.nodes[0].fields'],
      ['an unknown field', () => ({ nodes: [run('a', { lr: 0.1 })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields'],
      ['an unknown run type', () => ({ nodes: [run('a', { type: 'DREAMING' })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields.type'],
      ['params that are not an object', () => ({ nodes: [run('a', { params: [1, 2] })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields.params'],
      ['a negative checkpoint step', () => ({ nodes: [run('r'), { key: 'c', kind: 'CHECKPOINT', fields: { run: 'r', step: -1, uri: 's3://c' } }] }), 'BAD_USER_INPUT', 'input.nodes[1].fields.step'],
      ['NUL in a string', () => ({ nodes: [run('a', { name: 'x\u0000y' })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields.name'],
      ['a 10 MB properties blob', () => ({ nodes: [ds('a', { properties: { blob: 'x'.repeat(10 * 1024 * 1024) } })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields.properties'],
      ['a field the batch sets', () => ({ nodes: [ds('a', { project: 'prj_x' })] }), 'BAD_USER_INPUT', 'input.nodes[0].fields.project'],
      ['a deployment node', () => ({ nodes: [{ key: 'd', kind: 'DEPLOYMENT', fields: {} }] }), 'BAD_USER_INPUT', 'input.nodes[0].kind'],
      ['a DEPLOYS edge', () => ({ nodes: [run('a'), ds('b')], edges: [{ from: 'a', to: 'b', kind: 'DEPLOYS' }] }), 'BAD_USER_INPUT', 'input.edges[0].kind'],
      ['an edge with the wrong ends', () => ({ nodes: [run('a'), ds('b')], edges: [{ from: 'a', to: 'b', kind: 'GENERATED_BY' }] }), 'BAD_USER_INPUT', 'input.edges[0].from'],
      ['a self edge', () => ({ nodes: [ds('a'), ds('b')], edges: [{ from: 'a', to: 'a', kind: 'DERIVED_FROM' }] }), 'BAD_USER_INPUT', 'input.edges[0]'],
      [
        'a cycle',
        () => ({ nodes: [run('a'), ds('b')], edges: [{ from: 'a', to: 'b', kind: 'USED' }, { from: 'b', to: 'a', kind: 'GENERATED_BY' }] }),
        'BAD_USER_INPUT',
        'input.edges',
      ],
      ['two nodes claiming one digest', () => ({ nodes: [ds('a', { digest: 'sha256:00000000aa' }), ds('b', { digest: 'sha256:00000000aa' })] }), 'BAD_USER_INPUT', 'input.nodes[1].fields.digest'],
      ['an unknown id', () => ({ nodes: [run('a')], edges: [{ from: 'a', to: 'dsv_0000', kind: 'USED' }] }), 'NOT_FOUND', 'input.edges[0].to'],
      ['another project\'s id', () => ({ nodes: [ds('a', { producedBy: otherProjectRun })] }), 'NOT_FOUND', 'input.nodes[0].fields.producedBy'],
      ['an externalId naming a node of another kind', () => ({ nodes: [ds('a'), ds('b'), { ...ds('c'), externalId: 'taken-by-a-run' }] }), 'CONFLICT', 'input.nodes[2].externalId'],
      ['a model version with aliases', () => ({ nodes: [run('r'), { key: 'm', kind: 'MODEL_VERSION', fields: { model: 'm', source: 'r', aliases: ['prod'] } }] }), 'BAD_USER_INPUT', 'input.nodes[1].fields.aliases'],
      [
        'more than 10,000 elements',
        () => ({ nodes: Array.from({ length: 5_001 }, (_, i) => run(`r${i}`)), edges: Array.from({ length: 5_000 }, (_, i) => ({ from: `r${i + 1}`, to: `r${i}`, kind: 'USED' })) }),
        'BAD_USER_INPUT',
        'input',
      ],
    ];

    it.each(cases)('%s: %s', async (_name, make, code, field) => {
      const { nodes, edges = [] } = make();
      const before = await graphCounts(driver);
      const response = await server.gql(RECORD, { input: { project, nodes, edges } });
      await expectRejected(response, code, field);
      expect(await graphCounts(driver)).toEqual(before);
    });

    it('rolls back everything when the last node of a large batch conflicts', async () => {
      const dataset = unique('labelled');
      await record(project, [ds('first', { dataset, label: 'gold' })]);
      const nodes = [...Array.from({ length: 500 }, (_, i) => run(`r${i}`)), ds('clash', { dataset, label: 'gold' })];
      const before = await graphCounts(driver);
      const response = await server.gql(RECORD, { input: { project, nodes, edges: [] } });
      await expectRejected(response, 'CONFLICT', 'input.nodes[500].fields.label');
      expect(await graphCounts(driver)).toEqual(before);
    });
  });
});
