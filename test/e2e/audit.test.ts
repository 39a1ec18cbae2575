/**
 * The audit stories of the README's "Audit your lineage" section, recorded through the real
 * mutations: what produced the model serving in prod, and what a bad dataset version touched.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useGateway } from '../support/gateway.ts';
import { unique } from '../support/graph.ts';

const server = useGateway();

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

async function mutate(name: string, input: Record<string, unknown>, select = 'id'): Promise<any> {
  const type = name[0]!.toUpperCase() + name.slice(1);
  return (await server.ok<any>(`mutation($input: ${type}Input!) { ${name}(input: $input) { ${select} } }`, { input }))[name];
}

interface Pipeline {
  readonly prep: string;
  readonly train: string;
  readonly trainSet: string;
  readonly checkpoint: string;
  readonly version: string;
}

/** raw data -> preprocessing -> training set -> training -> checkpoint -> model version. */
async function pipeline(project: string, raw: readonly string[], tag: string, n: number): Promise<Pipeline> {
  const prep = (await mutate('startRun', {
    project, name: `prep-${tag}`, type: 'DATA_PROCESSING',
    code: { repository: 'git@example.com:ml/etl.git', commit: `prep-${tag}` },
    environment: { image: 'spark:3.5', python: '3.11' },
    inputs: raw.map((id) => ({ id, role: 'raw' })),
  })).id;
  const trainSet = (await mutate('registerDatasetVersion', { project, dataset: 'clicks-train', uri: `s3://train/${tag}`, digest: sha(100 + n), producedBy: prep })).id;
  await mutate('finishRun', { run: prep, status: 'COMPLETED' }, 'status');
  const train = (await mutate('startRun', {
    project, name: `train-${tag}`, type: 'TRAINING',
    code: { repository: 'git@example.com:ml/ranker.git', commit: `train-${tag}` },
    environment: { image: `pytorch:2.${n}`, python: '3.12' },
    params: { lr: 0.001 * n },
    inputs: [{ id: trainSet, role: 'train' }],
  })).id;
  const checkpoint = (await mutate('logCheckpoint', { run: train, step: 100, uri: `s3://ckpt/${tag}/100.pt` })).id;
  await mutate('finishRun', { run: train, status: 'COMPLETED' }, 'status');
  const version = (await mutate('registerModelVersion', { project, model: 'ranker', source: checkpoint })).id;
  await mutate('setModelVersionStatus', { version, status: 'VALIDATED' }, 'status');
  return { prep, train, trainSet, checkpoint, version };
}

let story: {
  badClicks: string;
  goodClicks: string;
  users: string;
  v1: Pipeline;
  v2: Pipeline;
  staging: string;
  prodV1: string;
  prodV2: string;
};

beforeAll(async () => {
  const project = (await mutate('createProject', { name: unique('audit') })).id;
  const register = (dataset: string, n: number, label?: string) =>
    mutate('registerDatasetVersion', { project, dataset, uri: `s3://raw/${dataset}/${n}`, digest: sha(n), label }).then((v) => v.id as string);
  const badClicks = await register('clicks-raw', 1, '2026-11-01');
  const users = await register('users-raw', 2);
  const goodClicks = await register('clicks-raw', 3);
  const v1 = await pipeline(project, [badClicks, users], 'v1', 5);
  const v2 = await pipeline(project, [goodClicks, users], 'v2', 6);
  const deploy = (version: string, environment: string) => mutate('deployModelVersion', { version, environment }).then((d) => d.id as string);
  const staging = await deploy(v1.version, 'staging');
  const prodV1 = await deploy(v1.version, 'prod');
  const prodV2 = await deploy(v2.version, 'prod'); // supersedes prodV1
  story = { badClicks, goodClicks, users, v1, v2, staging, prodV1, prodV2 };
});

describe('auditing lineage', () => {
  it('traces the prod deployment back to its raw dataset versions, code commits and environments', async () => {
    const { node } = await server.ok<any>(
      `query($id: ID!) {
        node(id: $id) {
          ... on Deployment {
            environment status
            upstream(maxDepth: 20) {
              truncated
              nodes { depth node {
                id kind displayName
                ... on DatasetVersion { number dataset { name } producedBy { id } }
                ... on Run { code { repository commit } environment { image python } }
              } }
            }
          }
        }
      }`,
      { id: story.prodV2 },
    );
    expect(node).toMatchObject({ environment: 'prod', status: 'ACTIVE' });
    const hits = node.upstream.nodes.map((hit: any) => hit.node);
    const raw = hits.filter((n: any) => n.kind === 'DATASET_VERSION' && n.producedBy === null);
    expect(raw.map((n: any) => n.id).sort()).toEqual([story.goodClicks, story.users].sort());
    expect(raw.map((n: any) => `${n.dataset.name}@${n.number}`).sort()).toEqual(['clicks-raw@2', 'users-raw@1']);
    const runs = hits.filter((n: any) => n.kind === 'RUN');
    expect(runs.map((n: any) => n.code.commit).sort()).toEqual(['prep-v2', 'train-v2']);
    expect(runs.map((n: any) => n.environment.image).sort()).toEqual(['pytorch:2.6', 'spark:3.5']);
    expect(hits.map((n: any) => n.id)).not.toContain(story.badClicks);
    expect(node.upstream.truncated).toBe(false);
  });

  it('shows how the prod deployment derives from a raw dataset version', async () => {
    const { lineagePath } = await server.ok<any>('query($from: ID!, $to: ID!) { lineagePath(from: $from, to: $to) { id kind } }', {
      from: story.prodV2,
      to: story.goodClicks,
    });
    const { v2 } = story;
    expect(lineagePath.map((n: any) => n.id)).toEqual([story.prodV2, v2.version, v2.checkpoint, v2.train, v2.trainSet, v2.prep, story.goodClicks]);
    expect(lineagePath.map((n: any) => n.kind)).toEqual(['DEPLOYMENT', 'MODEL_VERSION', 'CHECKPOINT', 'RUN', 'DATASET_VERSION', 'RUN', 'DATASET_VERSION']);
  });

  it('finds every model version and active deployment affected by a bad dataset version', async () => {
    const { node } = await server.ok<any>(
      `query($id: ID!) {
        node(id: $id) {
          downstream(maxDepth: 20, kinds: [MODEL_VERSION, DEPLOYMENT]) {
            root { id ... on DatasetVersion { label } }
            truncated
            nodes { depth node {
              id kind
              ... on ModelVersion { number model { name } }
              ... on Deployment { environment status modelVersion { id } }
            } }
          }
        }
      }`,
      { id: story.badClicks },
    );
    expect(node.downstream.root).toEqual({ id: story.badClicks, label: '2026-11-01' });
    const hits = node.downstream.nodes.map((hit: any) => hit.node);
    expect(hits.filter((n: any) => n.kind === 'MODEL_VERSION')).toEqual([{ id: story.v1.version, kind: 'MODEL_VERSION', number: 1, model: { name: 'ranker' } }]);
    const deployments = hits.filter((n: any) => n.kind === 'DEPLOYMENT');
    expect(deployments.map((d: any) => d.id).sort()).toEqual([story.staging, story.prodV1].sort());
    expect(deployments.filter((d: any) => d.status === 'ACTIVE').map((d: any) => d.environment)).toEqual(['staging']);
    expect(deployments.find((d: any) => d.id === story.prodV1).status).toBe('SUPERSEDED');
    expect(hits.map((n: any) => n.id)).not.toContain(story.v2.version);
    expect(node.downstream.truncated).toBe(false);
  });

  it('reaches the shared raw data from both model versions, each once', async () => {
    const { node } = await server.ok<any>('query($id: ID!) { node(id: $id) { downstream(maxDepth: 20, kinds: [MODEL_VERSION]) { nodes { depth node { id } } } } }', {
      id: story.users,
    });
    expect(node.downstream.nodes).toEqual([
      { depth: 5, node: { id: story.v1.version } },
      { depth: 5, node: { id: story.v2.version } },
    ].sort((a, b) => (a.node.id < b.node.id ? -1 : 1)));
  });
});
