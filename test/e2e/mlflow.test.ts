/**
 * The MLflow REST adapter driven by the real, unmodified `mlflow` client (test/python) against
 * a real gateway and Neo4j: a user's training script records connected lineage, events and a
 * registry entry; scope, roles and malformed requests are refused in MLflow's error shape
 * with nothing written.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPython } from '../support/python.ts';
import { useGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';

const SCRIPTS = join(import.meta.dirname, '..', 'python');

const MAX_ARTIFACT_BYTES = 4 * 1024 * 1024;
const driver = testDriver();
let artifactRoot: string;

// Registered before the gateway: the directory exists before it starts and is removed after it stops.
beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  artifactRoot = await mkdtemp(join(tmpdir(), 'pedigree-mlflow-artifacts-'));
});
afterAll(async () => {
  await driver.close();
  const { rm } = await import('node:fs/promises');
  await rm(artifactRoot, { recursive: true, force: true });
});
const server = useGateway(() => ({ env: { PEDIGREE_MLFLOW_ARTIFACT_ROOT: artifactRoot, PEDIGREE_MLFLOW_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT_BYTES) } }));

async function createProject(): Promise<{ id: string; name: string }> {
  const name = unique('mlflow');
  const id = (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name })).createProject.id as string;
  return { id, name };
}

async function tokenFor(project: string, role: string): Promise<string> {
  const data = await server.ok(`mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }`, { input: { project, role, name: unique('tok') } });
  return data.createApiToken.token as string;
}

function trackingUri(project: string): string {
  return `http://127.0.0.1:${server.gateway.port}/mlflow/${project}`;
}

interface ScriptOutput {
  run_id: string;
  experiment_id: string;
  model_id: string;
  version: number;
  predictions: number[];
  expected: number[];
  digest: string;
}

async function runScript<T>(script: string, project: string, token: string, env: Record<string, string> = {}): Promise<T> {
  const result = await runPython(inject('python'), [join(SCRIPTS, script)], {
    MLFLOW_TRACKING_URI: trackingUri(project),
    MLFLOW_TRACKING_TOKEN: token,
    ...env,
    GIT_PYTHON_REFRESH: 'quiet',
    // The client infers a model's pip requirements in a subprocess that imports the model; on a
    // busy machine that takes a minute. Given up at once, it logs MLflow's default requirements.
    MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT: '1',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
  }, 900_000);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
}

function runUserScript(project: string, token: string, experiment: string, model: string): Promise<ScriptOutput> {
  return runScript<ScriptOutput>('mlflow_user_script.py', project, token, { EXPERIMENT_NAME: experiment, MODEL_NAME: model });
}

/** Sends an MLflow request the way the client does (JSON body, or a query string for GET). */
async function mlflow(project: string, token: string, method: string, route: string, message?: unknown): Promise<{ status: number; body: any }> {
  const get = method === 'GET';
  const query = get && message ? `?${new URLSearchParams(message as Record<string, string>)}` : '';
  const response = await fetch(`${trackingUri(project)}/api/2.0/mlflow/${route}${query}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(get || message === undefined ? {} : { body: typeof message === 'string' ? message : JSON.stringify(message) }),
  });
  return { status: response.status, body: await response.json() };
}

/** Asserts the request failed with the MLflow error code and status, and wrote nothing. */
async function refused(expected: { status: number; code: string }, send: () => Promise<{ status: number; body: any }>): Promise<void> {
  const before = await graphCounts(driver);
  const { status, body } = await send();
  expect({ status, code: body.error_code }, JSON.stringify(body)).toEqual({ status: expected.status, code: expected.code });
  expect(typeof body.message).toBe('string');
  expect(await graphCounts(driver)).toEqual(before);
}

describe('a training script using the mlflow client unmodified', () => {
  const project = { id: '', name: '' };
  let token = '';
  const model = unique('iris-classifier');
  let first: ScriptOutput;

  it('records dataset version -> run -> model artifact -> model version with its alias, and publishes the events', async () => {
    Object.assign(project, await createProject());
    token = await tokenFor(project.id, 'ADMIN');
    const out = (first = await runUserScript(project.name, token, 'iris', model));
    expect(out.predictions).toEqual(out.expected);
    expect(out.version).toBe(1);
    expect(out.run_id).toMatch(/^run_/);
    expect(out.model_id).toMatch(/^art_/);

    const data = await server.ok(
      `query($model: String!, $project: ID!, $run: ID!) {
        model(project: $project, name: $model) {
          alias(name: "champion") {
            number
            upstream(maxDepth: 5) { nodes { node { id kind } } edges { from to kind role } }
          }
        }
        node(id: $run) { ... on Run { id name status params summaryMetrics experiment { name } inputs { role node { id kind } } } }
      }`,
      { model, project: project.id, run: out.run_id },
    );
    const version = data.model.alias;
    expect(version.number).toBe(1);
    const nodes = version.upstream.nodes.map((hit: { node: { id: string; kind: string } }) => hit.node);
    const kinds = nodes.map((n: { kind: string }) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(['ARTIFACT', 'DATASET_VERSION', 'RUN']));
    const edges = version.upstream.edges as { from: string; to: string; kind: string; role: string | null }[];
    const iris = await server.ok(`query($project: ID!) { dataset(project: $project, name: "iris") { versions { nodes { id } } } }`, { project: project.id });
    const datasetNode = iris.dataset.versions.nodes[0];
    expect(nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([out.model_id, out.run_id, datasetNode.id]));
    expect(edges).toEqual(expect.arrayContaining([
      expect.objectContaining({ to: out.model_id, kind: 'DERIVED_FROM' }),
      expect.objectContaining({ from: out.model_id, to: out.run_id, kind: 'GENERATED_BY' }),
      expect.objectContaining({ from: out.run_id, to: datasetNode.id, kind: 'USED', role: 'training' }),
    ]));
    const run = data.node;
    expect(run.status).toBe('COMPLETED');
    expect(run.experiment.name).toBe('iris');
    expect(run.params).toMatchObject({ max_iter: '300' });
    expect(run.summaryMetrics).toHaveProperty('holdout_accuracy', 0.93);
    expect(run.summaryMetrics).toHaveProperty('training_score');

    const events = await server.ok(
      `query($project: ID!) { events(filter: { projects: [$project] }, first: 100) { nodes { kind subject { id } } } }`,
      { project: project.id },
    );
    const seen = events.events.nodes.map((e: { kind: string }) => e.kind);
    expect(seen).toEqual(expect.arrayContaining(['RUN_STARTED', 'RUN_FINISHED', 'DATASET_VERSION_CREATED', 'ARTIFACT_CREATED', 'MODEL_VERSION_CREATED', 'MODEL_ALIAS_MOVED']));
    const registered = events.events.nodes.find((e: { kind: string }) => e.kind === 'MODEL_VERSION_CREATED');
    const artifact = await server.ok(`query($id: ID!) { node(id: $id) { ... on Artifact { type digest producedBy { id } properties } } }`, { id: out.model_id });
    expect(artifact.node.type).toBe('model');
    expect(artifact.node.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(artifact.node.producedBy.id).toBe(out.run_id);
    expect(Object.keys(artifact.node.properties.files)).toEqual(expect.arrayContaining(['MLmodel', 'model.pkl']));
    expect(registered.subject.id).toMatch(/^mv_/);
  }, 1_200_000);

  it('running the script again reuses the dataset version (same MLflow digest) and numbers the model version 2', async () => {
    const second = await runUserScript(project.name, token, 'iris', model);
    expect(second.digest).toBe(first.digest);
    expect(second.version).toBe(2);
    const data = await server.ok(
      `query($project: ID!, $model: String!, $a: ID!, $b: ID!) {
        dataset(project: $project, name: "iris") { versions { nodes { id digest } } }
        model(project: $project, name: $model) { alias(name: "champion") { number } versions { nodes { number } } }
        a: node(id: $a) { ... on Run { inputs { node { id } } } }
        b: node(id: $b) { ... on Run { inputs { node { id } } } }
      }`,
      { project: project.id, model, a: first.run_id, b: second.run_id },
    );
    expect(data.dataset.versions.nodes).toEqual([{ id: expect.any(String), digest: `mlflow:${first.digest}` }]);
    // Both runs USED the one version (the autologger adds its own train and eval datasets).
    expect(data.a.inputs.map((i: { node: { id: string } }) => i.node.id)).toContain(data.dataset.versions.nodes[0].id);
    expect(data.b.inputs.map((i: { node: { id: string } }) => i.node.id)).toContain(data.dataset.versions.nodes[0].id);
    expect(data.model.alias.number).toBe(2);
    expect(data.model.versions.nodes.map((v: { number: number }) => v.number)).toEqual([2, 1]);
  }, 1_200_000);

  it('answers the client with the same ids GraphQL shows: run, experiment, logged model, version', async () => {
    const run = await mlflow(project.name, token, 'GET', 'runs/get', { run_id: first.run_id });
    expect(run.status).toBe(200);
    expect(run.body.run.info).toMatchObject({ run_id: first.run_id, experiment_id: first.experiment_id, status: 'FINISHED' });
    expect(run.body.run.inputs.dataset_inputs.find((d: { dataset: { name: string } }) => d.dataset.name === 'iris')).toMatchObject({ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: 'iris', digest: first.digest } });
    const version = await mlflow(project.name, token, 'GET', 'model-versions/get', { name: model, version: '1' });
    expect(version.body.model_version).toMatchObject({ version: '1', model_id: first.model_id, run_id: first.run_id, status: 'READY' });
    const history = await mlflow(project.name, token, 'GET', 'metrics/get-history', { run_id: first.run_id, metric_key: 'holdout_accuracy' });
    expect(history.body.metrics).toEqual([expect.objectContaining({ key: 'holdout_accuracy', value: 0.93, step: 0 })]);
  });
});

describe('checkpoints uploaded by the autologgers\' checkpoint callback', () => {
  it('become Checkpoint nodes of the run with their epoch, step, digest and metrics', async () => {
    const project = await createProject();
    const token = await tokenFor(project.id, 'WRITER');
    const { run_id } = await runScript<{ run_id: string }>('mlflow_checkpoints.py', project.name, token);
    const data = await server.ok(`query($id: ID!) { node(id: $id) { ... on Run { checkpoints { step epoch uri digest metrics retention } } } }`, { id: run_id });
    const checkpoints = [...data.node.checkpoints].sort((a: { step: number }, b: { step: number }) => a.step - b.step);
    expect(checkpoints.map((c: { step: number; epoch: number }) => [c.step, c.epoch])).toEqual([[50, 0], [100, 1], [150, 2]]);
    expect(checkpoints[1]).toMatchObject({
      uri: `mlflow-artifacts:/0/${run_id}/artifacts/checkpoints/epoch_1/checkpoint.pth`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      metrics: { val_loss: 0.5 },
      retention: 'RETAINED',
    });
  }, 300_000);
});

describe('scope, roles and malformed requests', () => {
  const a = { id: '', name: '' };
  const b = { id: '', name: '' };
  let writerA = '';
  let runA = '';

  beforeAll(async () => {
    Object.assign(a, await createProject());
    Object.assign(b, await createProject());
    writerA = await tokenFor(a.id, 'WRITER');
    const created = await mlflow(a.name, writerA, 'POST', 'runs/create', { experiment_id: '0', run_name: 'scoped' });
    expect(created.status).toBe(200);
    runA = created.body.run.info.run_id;
  });

  it('a VIEWER token reads through the mlflow client but every write is PERMISSION_DENIED, writing nothing', async () => {
    const viewer = await tokenFor(a.id, 'VIEWER');
    const before = await graphCounts(driver);
    const out = await runScript<{ default_experiment: string; refused: (string | null)[] }>('mlflow_viewer.py', a.name, viewer);
    expect(out).toEqual({ default_experiment: 'Default', refused: ['PERMISSION_DENIED', 'PERMISSION_DENIED', 'PERMISSION_DENIED'] });
    expect(await graphCounts(driver)).toEqual(before);
    await refused({ status: 403, code: 'PERMISSION_DENIED' }, () => mlflow(a.name, viewer, 'POST', 'runs/log-metric', { run_id: runA, key: 'loss', value: 1, timestamp: 1, step: 0 }));
    const upload = await fetch(`${trackingUri(a.name)}/api/2.0/mlflow-artifacts/artifacts/0/${runA}/artifacts/x.txt`, { method: 'PUT', headers: { authorization: `Bearer ${viewer}` }, body: 'x' });
    expect([upload.status, (await upload.json()).error_code]).toEqual([403, 'PERMISSION_DENIED']);
  }, 300_000);

  it('get-history returns a series of 2,500 points across its sealed chunks in logged order', async () => {
    const created = await mlflow(a.name, writerA, 'POST', 'runs/create', { experiment_id: '0', run_name: 'long-series' });
    const runId = created.body.run.info.run_id;
    for (let from = 0; from < 2_500; from += 1_000) {
      const metrics = Array.from({ length: Math.min(1_000, 2_500 - from) }, (_, i) => ({ key: 'loss', value: (from + i) / 4, timestamp: 1_700_000_000_000 + from + i, step: from + i }));
      expect((await mlflow(a.name, writerA, 'POST', 'runs/log-batch', { run_id: runId, metrics })).status).toBe(200);
    }
    const points: { step: number; value: number; timestamp: number }[] = [];
    let token: string | undefined;
    do {
      const page = await mlflow(a.name, writerA, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 1_000, ...(token ? { page_token: token } : {}) });
      points.push(...page.body.metrics);
      token = page.body.next_page_token;
    } while (token);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    expect(points.every((p) => p.value === p.step / 4 && p.timestamp === 1_700_000_000_000 + p.step)).toBe(true);
  });

  it('a log-batch of metrics alone is a logMetrics, one statement; one with a param also updates the run', async () => {
    const created = await mlflow(a.name, writerA, 'POST', 'runs/create', { experiment_id: '0', run_name: 'metrics-only' });
    const runId = created.body.run.info.run_id;
    const metrics = Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: i, timestamp: 1_700_000_000_000 + i, step: i }));
    expect((await mlflow(a.name, writerA, 'POST', 'runs/log-batch', { run_id: runId, metrics })).status).toBe(200);
    // logMetrics' one statement (the run's lock, the append, the summary); the run's project may be looked up first (it is cached).
    expect(server.lastQueries().filter((q) => q.unit !== 'mlflow.runProject')).toEqual([{ unit: 'logMetrics', autoCommit: true }]);
    expect((await mlflow(a.name, writerA, 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics.map((m) => ({ ...m, step: m.step + 10 })), params: [{ key: 'lr', value: '0.1' }] })).status).toBe(200);
    expect(server.lastQueries().some((q) => q.unit === 'recordRunDetails')).toBe(true);
    const history = await mlflow(a.name, writerA, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' });
    expect(history.body.metrics.map((m: { step: number }) => m.step)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const run = await mlflow(a.name, writerA, 'GET', 'runs/get', { run_id: runId });
    expect(run.body.run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(run.body.run.data.metrics).toEqual([expect.objectContaining({ key: 'loss', value: 9 })]);
  });

  it("another project's run, and a project the token cannot see, are RESOURCE_DOES_NOT_EXIST", async () => {
    const admin = 'test-admin-token-0123456789';
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(b.name, admin, 'GET', 'runs/get', { run_id: runA }));
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(b.name, admin, 'POST', 'runs/log-batch', { run_id: runA, metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }] }));
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(b.name, writerA, 'GET', 'experiments/get', { experiment_id: '0' }));
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(b.id, writerA, 'POST', 'runs/create', { experiment_id: '0' }));
  });

  it('malformed bodies get MLflow error codes and write nothing', async () => {
    await refused({ status: 400, code: 'MALFORMED_REQUEST' }, () => mlflow(a.name, writerA, 'POST', 'runs/log-batch', '{"run_id": '));
    await refused({ status: 400, code: 'INVALID_PARAMETER_VALUE' }, () => mlflow(a.name, writerA, 'POST', 'runs/create', { experiment_id: { not: 'a string' } }));
    await refused({ status: 400, code: 'INVALID_PARAMETER_VALUE' }, () =>
      mlflow(a.name, writerA, 'POST', 'runs/log-batch', { run_id: runA, params: [{ key: 'lr', value: '0.1' }], metrics: [{ key: 'loss', value: 'high', timestamp: 1, step: 0 }] }),
    );
    await refused({ status: 400, code: 'INVALID_PARAMETER_VALUE' }, () =>
      mlflow(a.name, writerA, 'POST', 'runs/log-inputs', {
        run_id: runA,
        datasets: [
          { dataset: { name: 'ok', digest: 'abcdef12', source_type: 'local', source: '{}' } },
          { dataset: { name: 'broken', source_type: 'local', source: '{}' } },
        ],
      }),
    );
    await refused({ status: 400, code: 'INVALID_PARAMETER_VALUE' }, () => mlflow(a.name, writerA, 'POST', 'runs/log-batch', { run_id: runA, metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i })) }));
    await refused({ status: 400, code: 'RESOURCE_ALREADY_EXISTS' }, () => mlflow(a.name, writerA, 'POST', 'experiments/create', { name: 'Default' }));
    await refused({ status: 404, code: 'ENDPOINT_NOT_FOUND' }, () => mlflow(a.name, writerA, 'POST', 'runs/no-such-route', {}));
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(a.name, writerA, 'GET', 'logged-models/art_0000', undefined));
  });

  it('limits the size of request bodies and artifacts; a refused upload leaves no file', async () => {
    await refused({ status: 413, code: 'RESOURCE_EXHAUSTED' }, () => mlflow(a.name, writerA, 'POST', 'runs/log-batch', JSON.stringify({ run_id: runA, pad: 'x'.repeat(13 * 1024 * 1024) })));
    const path = `0/${runA}/artifacts/too-big.bin`;
    const upload = await fetch(`${trackingUri(a.name)}/api/2.0/mlflow-artifacts/artifacts/${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${writerA}` },
      body: Buffer.alloc(MAX_ARTIFACT_BYTES + 1),
    });
    expect([upload.status, (await upload.json()).error_code]).toEqual([413, 'RESOURCE_EXHAUSTED']);
    const listed = await fetch(`${trackingUri(a.name)}/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`0/${runA}/artifacts`)}`, { headers: { authorization: `Bearer ${writerA}` } });
    expect((await listed.json()).files ?? []).toEqual([]);
  });
});

describe('deleting a registered model alias', () => {
  interface AliasDeleteOutput {
    before: string;
    get_after_delete: string | null;
    aliases_after_delete: Record<string, string>;
    version_aliases_after_delete: string[];
    delete_again: string | null;
    after_reset: string;
  }
  const project = { id: '', name: '' };
  let token = '';
  const model = unique('alias-delete');

  it('through the mlflow client: the alias is gone, deleting it again is RESOURCE_DOES_NOT_EXIST, and it can be set again', async () => {
    Object.assign(project, await createProject());
    token = await tokenFor(project.id, 'ADMIN');
    const out = await runScript<AliasDeleteOutput>('mlflow_alias_delete.py', project.name, token, { MODEL_NAME: model });
    expect(out).toEqual({
      before: '1',
      get_after_delete: 'RESOURCE_DOES_NOT_EXIST',
      aliases_after_delete: {},
      version_aliases_after_delete: [],
      delete_again: 'RESOURCE_DOES_NOT_EXIST',
      after_reset: '2',
    });
  });

  it('keeps the removal in the alias history (a move to nothing) and publishes no event for it', async () => {
    const data = await server.ok(
      `query($project: ID!, $model: String!) {
        model(project: $project, name: $model) {
          versions { nodes { id number } }
          aliases { name version { number } history { from { number } to { number } } }
        }
        events(filter: { projects: [$project], kinds: [MODEL_ALIAS_MOVED] }) { nodes { subject { id } previous { id } alias } }
      }`,
      { project: project.id, model },
    );
    const ids = Object.fromEntries(data.model.versions.nodes.map((v: { id: string; number: number }) => [v.number, v.id]));
    // GraphQL's AliasMove has a required `to`: the removal is left out, and the move after it starts from nothing.
    expect(data.model.aliases).toEqual([{ name: 'champion', version: { number: 2 }, history: [{ from: null, to: { number: 2 } }, { from: null, to: { number: 1 } }] }]);
    expect(data.events.nodes).toEqual([
      { subject: { id: ids[1] }, previous: null, alias: 'champion' },
      { subject: { id: ids[2] }, previous: null, alias: 'champion' },
    ]);
    const session = driver.session();
    try {
      const moves = await session.run(
        `MATCH (:Model {projectId: $project, name: $model})<-[:OF]-(:Alias {name: 'champion'})-[:MOVED]->(mv:AliasMove)
         RETURN mv.fromId AS fromId, mv.toId AS toId, mv.by IS NOT NULL AS by ORDER BY mv.at`,
        { project: project.id, model },
      );
      expect(moves.records.map((r) => r.toObject())).toEqual([
        { fromId: null, toId: ids[1], by: true },
        { fromId: ids[1], toId: null, by: true },
        { fromId: null, toId: ids[2], by: true },
      ]);
    } finally {
      await session.close();
    }
  });

  it('a missing alias, or a missing model, is RESOURCE_DOES_NOT_EXIST and writes nothing', async () => {
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(project.name, token, 'DELETE', 'registered-models/alias', { name: model, alias: 'never-set' }));
    await refused({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' }, () => mlflow(project.name, token, 'DELETE', 'registered-models/alias', { name: unique('no-model'), alias: 'champion' }));
    await refused({ status: 400, code: 'INVALID_PARAMETER_VALUE' }, () => mlflow(project.name, token, 'DELETE', 'registered-models/alias', { name: model }));
  });

  it('needs what setModelAlias needs: a WRITER token is PERMISSION_DENIED and the alias stays', async () => {
    const writer = await tokenFor(project.id, 'WRITER');
    await refused({ status: 403, code: 'PERMISSION_DENIED' }, () => mlflow(project.name, writer, 'DELETE', 'registered-models/alias', { name: model, alias: 'champion' }));
    const { status, body } = await mlflow(project.name, token, 'GET', 'registered-models/alias', { name: model, alias: 'champion' });
    expect({ status, version: body.model_version?.version }).toEqual({ status: 200, version: '2' });
  });
});
