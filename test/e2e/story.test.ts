/**
 * The whole recording story through GraphQL, as a pipeline and a release engineer would send
 * it (the README's walkthrough uses the same operations).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../support/gateway.ts';
import { unique } from '../support/graph.ts';

const server = useGateway();

const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('recording a model from raw data to a rolled-back deployment', () => {
  it('keeps the whole lineage readable', async () => {
    const { createProject: project } = await server.ok<{ createProject: { id: string } }>(
      'mutation($name: String!) { createProject(input: { name: $name }) { id } }',
      { name: unique('story') },
    );

    const register = `mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id number displayName } }`;
    const raw = (await server.ok<any>(register, { input: { project: project.id, dataset: 'clicks-raw', uri: 's3://raw/clicks/2026-11', digest: sha(1) } })).registerDatasetVersion;
    expect(raw.number).toBe(1);

    const startRun = `mutation($input: StartRunInput!) { startRun(input: $input) { id status fingerprint } }`;
    const finishRun = `mutation($input: FinishRunInput!) { finishRun(input: $input) { id status endedAt } }`;
    const prep = (await server.ok<any>(startRun, {
      input: { project: project.id, name: 'preprocess', type: 'DATA_PROCESSING', params: { split: { train: 0.8 } }, inputs: [{ id: raw.id, role: 'raw' }] },
    })).startRun;
    const train = (await server.ok<any>(register, { input: { project: project.id, dataset: 'clicks-train', uri: 's3://ds/train', digest: sha(2), producedBy: prep.id } })).registerDatasetVersion;
    const evalSet = (await server.ok<any>(register, { input: { project: project.id, dataset: 'clicks-eval', uri: 's3://ds/eval', digest: sha(3), producedBy: prep.id } })).registerDatasetVersion;
    await server.ok(finishRun, { input: { run: prep.id, status: 'COMPLETED', outputs: [{ id: train.id, role: 'train' }, { id: evalSet.id, role: 'eval' }] } });

    const training = (await server.ok<any>(startRun, {
      input: {
        project: project.id,
        name: 'train-resnet',
        type: 'TRAINING',
        experiment: 'resnet-sweep',
        params: { optimizer: { name: 'adam', lr: 0.001 }, epochs: 20 },
        code: { repository: 'git@example.com:ml/resnet.git', commit: 'a1b2c3d', path: 'train.py' },
        environment: { image: 'pytorch:2.5', python: '3.11', packages: { torch: '2.5.0' } },
        inputs: [{ id: train.id, role: 'train' }, { id: evalSet.id, role: 'eval' }],
      },
    })).startRun;
    expect(training.status).toBe('RUNNING');

    const checkpoints: string[] = [];
    for (let step = 1; step <= 20; step++) {
      const loss = 1 / step + (step === 17 ? -0.2 : 0);
      await server.ok('mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }', {
        input: { run: training.id, metrics: [{ key: 'loss', value: loss, step }, { key: 'acc', value: 1 - loss / 2, step }] },
      });
      const ckp = (await server.ok<any>('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id step } }', {
        input: { run: training.id, step, epoch: step, uri: `s3://ckpt/${step}.pt`, metrics: { loss } },
      })).logCheckpoint;
      checkpoints.push(ckp.id);
    }
    await server.ok(finishRun, { input: { run: training.id, status: 'COMPLETED' } });

    const run = (await server.ok<any>(
      `query($id: ID!) { run(id: $id) { status experiment { name } params summaryMetrics code { commit } environment { image }
         inputs { role node { id kind } } checkpoints { step } metrics(keys: ["loss"]) { key last points { step value } } } }`,
      { id: training.id },
    )).run;
    expect(run.status).toBe('COMPLETED');
    expect(run.experiment.name).toBe('resnet-sweep');
    expect(run.params.optimizer.lr).toBe(0.001);
    expect(run.code.commit).toBe('a1b2c3d');
    expect(run.environment.image).toBe('pytorch:2.5');
    expect(run.inputs).toEqual(expect.arrayContaining([{ role: 'train', node: { id: train.id, kind: 'DATASET_VERSION' } }]));
    expect(run.checkpoints).toHaveLength(20);
    expect(run.metrics[0].points).toHaveLength(20);
    expect(run.summaryMetrics.loss).toBeCloseTo(1 / 20);

    const best = checkpoints[16]!; // step 17 had the lowest loss
    const v1 = (await server.ok<any>(
      'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id number sourceCheckpoint { step } model { id } } }',
      { input: { project: project.id, model: 'resnet', source: best, semver: '1.0.0', metrics: { loss: 0.0588 } } },
    )).registerModelVersion;
    expect(v1.sourceCheckpoint.step).toBe(17);
    const modelId = v1.model.id;

    await server.ok('mutation($input: SetModelVersionStatusInput!) { setModelVersionStatus(input: $input) { status } }', { input: { version: v1.id, status: 'VALIDATED' } });
    await server.ok('mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { name } }', { input: { model: modelId, alias: 'champion', version: v1.id } });

    const deploy = 'mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id status replaces { id } } }';
    await server.ok(deploy, { input: { version: v1.id, environment: 'staging' } });
    const prod1 = (await server.ok<any>(deploy, { input: { version: v1.id, environment: 'prod', endpoint: 'https://api/resnet' } })).deployModelVersion;

    const v2 = (await server.ok<any>(
      'mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id number } }',
      { input: { project: project.id, model: 'resnet', source: checkpoints[19], semver: '1.1.0' } },
    )).registerModelVersion;
    expect(v2.number).toBe(2);
    const prod2 = (await server.ok<any>(deploy, { input: { version: v2.id, environment: 'prod' } })).deployModelVersion;
    expect(prod2.replaces.id).toBe(prod1.id);

    const rolledBack = (await server.ok<any>(
      'mutation($input: RollbackDeploymentInput!) { rollbackDeployment(input: $input) { status modelVersion { id } replaces { id status } } }',
      { input: { model: modelId, environment: 'prod' } },
    )).rollbackDeployment;
    expect(rolledBack.status).toBe('ACTIVE');
    expect(rolledBack.modelVersion.id).toBe(v1.id);
    expect(rolledBack.replaces).toEqual({ id: prod2.id, status: 'ROLLED_BACK' });

    const model = (await server.ok<any>(
      `query($project: ID!) { model(project: $project, name: "resnet") {
         alias(name: "champion") { id } versions { nodes { number status } }
         deployments(environment: "prod", activeOnly: false) { status modelVersion { number } } } }`,
      { project: project.id },
    )).model;
    expect(model.alias.id).toBe(v1.id);
    expect(model.versions.nodes.map((v: { number: number }) => v.number)).toEqual([2, 1]);
    expect(model.deployments.filter((d: { status: string }) => d.status === 'ACTIVE')).toEqual([{ status: 'ACTIVE', modelVersion: { number: 1 } }]);
  });
});
