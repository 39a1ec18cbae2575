/**
 * The lineage the explorer tests look at, recorded through GraphQL:
 *
 *   clicks-raw@1 -> preprocess -> clicks-train@1 -> train-resnet -> resnet@1 (from its step-3 checkpoint)
 *                                                               \-> resnet@2 (from the run; alias champion)
 *   ... at least a second later ...
 *   clicks-raw@2 + resnet@2 -> evaluate
 *
 * `beforeSecond` is a whole second after everything of the first part and before clicks-raw@2.
 */
import type { TestGateway } from './gateway.ts';
import { unique } from './graph.ts';

export interface ExplorerGraph {
  project: string;
  projectName: string;
  raw1: string;
  prep: string;
  train1: string;
  training: string;
  checkpoint: string;
  mv1: string;
  mv2: string;
  raw2: string;
  evaluation: string;
  beforeSecond: Date;
}

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const REGISTER = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id createdAt } }';
const START = 'mutation($input: StartRunInput!) { startRun(input: $input) { id createdAt } }';
const FINISH = 'mutation($input: FinishRunInput!) { finishRun(input: $input) { id } }';
const MODEL = 'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id createdAt } }';

export async function seedExplorerGraph(server: TestGateway): Promise<ExplorerGraph> {
  const projectName = unique('explorer');
  const project = (await server.ok<any>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: projectName })).createProject.id as string;
  const raw1 = (await server.ok<any>(REGISTER, { input: { project, dataset: 'clicks-raw', uri: 's3://raw/clicks/2026-10', digest: sha(1), recordCount: 120000 } })).registerDatasetVersion.id as string;
  const prep = (await server.ok<any>(START, { input: { project, name: 'preprocess', type: 'DATA_PROCESSING', params: { split: 0.8 }, inputs: [{ id: raw1, role: 'raw' }] } })).startRun.id as string;
  const train1 = (await server.ok<any>(REGISTER, { input: { project, dataset: 'clicks-train', uri: 's3://ds/train/1', digest: sha(2), producedBy: prep } })).registerDatasetVersion.id as string;
  await server.ok(FINISH, { input: { run: prep, status: 'COMPLETED', outputs: [{ id: train1, role: 'train' }] } });
  const training = (await server.ok<any>(START, {
    input: {
      project,
      name: 'train-resnet',
      type: 'TRAINING',
      experiment: 'resnet-sweep',
      params: { optimizer: { name: 'adam', lr: 0.001 }, epochs: 5 },
      code: { repository: 'git@example.com:ml/resnet.git', commit: 'a1b2c3d', path: 'train.py' },
      environment: { image: 'pytorch:2.5', python: '3.11' },
      inputs: [{ id: train1, role: 'train' }],
    },
  })).startRun.id as string;
  await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', {
    input: { run: training, metrics: [1, 2, 3, 4, 5].map((step) => ({ key: 'loss', value: 1 / step, step })) },
  });
  const checkpoint = (await server.ok<any>('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', {
    input: { run: training, step: 3, uri: 's3://ckpt/3.pt', metrics: { loss: 0.33 } },
  })).logCheckpoint.id as string;
  await server.ok(FINISH, { input: { run: training, status: 'COMPLETED' } });
  const mv1 = (await server.ok<any>(MODEL, { input: { project, model: 'resnet', source: checkpoint, semver: '1.0.0' } })).registerModelVersion.id as string;
  const second = (await server.ok<any>(MODEL, { input: { project, model: 'resnet', source: training, semver: '1.1.0', aliases: ['champion'] } })).registerModelVersion;
  const mv2 = second.id as string;

  const beforeSecond = new Date(Math.ceil((Date.parse(second.createdAt) + 1) / 1000) * 1000);
  await new Promise((resolve) => setTimeout(resolve, beforeSecond.getTime() - Date.now() + 250));
  const raw2 = (await server.ok<any>(REGISTER, { input: { project, dataset: 'clicks-raw', uri: 's3://raw/clicks/2026-11', digest: sha(3) } })).registerDatasetVersion;
  if (Date.parse(raw2.createdAt) <= beforeSecond.getTime()) throw new Error('clicks-raw@2 must be created after beforeSecond');
  const evaluation = (await server.ok<any>(START, {
    input: { project, name: 'evaluate', type: 'EVALUATION', inputs: [{ id: mv2, role: 'model' }, { id: raw2.id, role: 'data' }] },
  })).startRun.id as string;
  return { project, projectName, raw1, prep, train1, training, checkpoint, mv1, mv2, raw2: raw2.id, evaluation, beforeSecond };
}
