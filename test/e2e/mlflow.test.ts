/**
 * The MLflow REST adapter driven by the real, unmodified `mlflow` client (test/python) against
 * a real gateway and Neo4j: a user's training script records connected lineage, events and a
 * registry entry; scope, roles and malformed requests are refused in MLflow's error shape
 * with nothing written.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runPython } from '../support/python.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';

const SCRIPT = join(import.meta.dirname, '..', 'python', 'mlflow_user_script.py');

let server: TestGateway;
const driver = testDriver();
let artifactRoot: string;

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  artifactRoot = await mkdtemp(join(tmpdir(), 'pedigree-mlflow-artifacts-'));
  server = await startTestGateway({ env: { PEDIGREE_MLFLOW_ARTIFACT_ROOT: artifactRoot } });
});
afterAll(async () => {
  await server.stop();
  await driver.close();
  const { rm } = await import('node:fs/promises');
  await rm(artifactRoot, { recursive: true, force: true });
});

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

async function runUserScript(project: string, token: string, experiment: string, model: string): Promise<ScriptOutput> {
  const result = await runPython(inject('python'), [SCRIPT], {
    MLFLOW_TRACKING_URI: trackingUri(project),
    MLFLOW_TRACKING_TOKEN: token,
    EXPERIMENT_NAME: experiment,
    MODEL_NAME: model,
    MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    GIT_PYTHON_REFRESH: 'quiet',
    // The client infers a model's pip requirements in a subprocess that imports the model; on a
    // busy machine that takes a minute. Given up at once, it logs MLflow's default requirements.
    MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT: '1',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
  }, 400_000);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ScriptOutput;
}

describe('a training script using the mlflow client unmodified', () => {
  it('records dataset version -> run -> model artifact -> model version with its alias, and publishes the events', async () => {
    const project = await createProject();
    const token = await tokenFor(project.id, 'ADMIN');
    const model = unique('iris-classifier');
    const out = await runUserScript(project.name, token, 'iris', model);
    expect(out.predictions).toEqual(out.expected);
    expect(out.version).toBe(1);
    expect(out.run_id).toMatch(/^run_/);
    expect(out.model_id).toMatch(/^art_/);

    const data = await server.ok(
      `query($model: String!, $project: ID!, $run: ID!) {
        model(project: $project, name: $model) {
          alias(name: "champion") {
            number
            upstream(maxDepth: 5) { nodes { id kind displayName } edges { from to kind role } }
          }
        }
        node(id: $run) { ... on Run { id name status params summaryMetrics experiment { name } inputs { role node { id kind } } } }
      }`,
      { model, project: project.id, run: out.run_id },
    );
    const version = data.model.alias;
    expect(version.number).toBe(1);
    const kinds = version.upstream.nodes.map((n: { kind: string }) => n.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['ARTIFACT', 'DATASET_VERSION', 'MODEL_VERSION', 'RUN']));
    const edges = version.upstream.edges as { from: string; to: string; kind: string; role: string | null }[];
    const datasetNode = version.upstream.nodes.find((n: { kind: string }) => n.kind === 'DATASET_VERSION');
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
  }, 600_000);
});
