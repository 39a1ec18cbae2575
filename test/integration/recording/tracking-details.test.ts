/**
 * The recording services a tracking client needs beyond the GraphQL mutations' (used by the
 * MLflow adapter): run details after the start, artifacts completed after their upload,
 * experiments and models created empty, and versions derived from an artifact.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_VIEWER } from '../../../src/auth/viewer.ts';
import { createContext, type Context } from '../../../src/context.ts';
import type { Dispatcher } from '../../../src/events/dispatcher.ts';
import { PedigreeError } from '../../../src/domain/errors.ts';
import { completeArtifact, recordArtifact } from '../../../src/recording/artifacts.ts';
import { createExperiment } from '../../../src/recording/experiments.ts';
import { createModel, registerModelVersion } from '../../../src/recording/models.ts';
import { recordRunDetails } from '../../../src/recording/run-details.ts';
import { finishRun, startRun } from '../../../src/recording/runs.ts';
import { useGateway } from '../../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../../support/graph.ts';
import { ServingTargets } from '../../../src/monitoring/targets.ts';

let ctx: Context;
let project: string;
const driver = testDriver();

const server = useGateway();
beforeAll(async () => {
  ctx = createContext({ executor: server.gateway.executor, logger: pino({ level: 'silent' }), closeSocketsOf: () => {}, events: {} as Dispatcher, webhooks: { allowPrivate: false, secretKey: undefined }, servingTargets: new ServingTargets() }, 'test', ADMIN_VIEWER);
  project = (await server.ok('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: unique('details') })).createProject.id;
});
afterAll(async () => {
  await driver.close();
});

/** Asserts the call fails with the code and writes nothing. */
async function refused(code: string, call: () => Promise<unknown>): Promise<PedigreeError> {
  const before = await graphCounts(driver);
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PedigreeError);
  expect((error as PedigreeError).code).toBe(code);
  expect(await graphCounts(driver)).toEqual(before);
  return error as PedigreeError;
}

describe('recordRunDetails', () => {
  it('adds params, tags and metrics in one write and recomputes the fingerprint over the params', async () => {
    const run = await startRun(ctx, { project, name: 'r', type: 'TRAINING' });
    const updated = await recordRunDetails(ctx, {
      run: run.id,
      params: { lr: '0.1' },
      tags: { team: 'vision', 'mlflow.user': 'ana' },
      metrics: [{ key: 'loss', value: 0.5, step: 1 }],
      code: { commit: 'abc123' },
    });
    expect(JSON.parse(updated.paramsJson)).toEqual({ lr: '0.1' });
    expect(JSON.parse(updated.tagsJson!)).toEqual({ team: 'vision', 'mlflow.user': 'ana' });
    expect(JSON.parse(updated.summaryMetricsJson)).toEqual({ loss: 0.5 });
    expect(JSON.parse(updated.codeJson!)).toMatchObject({ commit: 'abc123' });
    expect(updated.fingerprint).not.toBe(run.fingerprint);
    const removed = await recordRunDetails(ctx, { run: run.id, removeTags: ['team'], name: 'renamed' });
    expect(JSON.parse(removed.tagsJson!)).toEqual({ 'mlflow.user': 'ana' });
    expect(removed.name).toBe('renamed');
    expect(removed.fingerprint).toBe(updated.fingerprint);
  });

  it('keeps a param at its first value: another value is BAD_USER_INPUT and writes nothing, the same value is accepted', async () => {
    const run = await startRun(ctx, { project, name: 'r', type: 'TRAINING' });
    await recordRunDetails(ctx, { run: run.id, params: { lr: '0.1' } });
    const error = await refused('BAD_USER_INPUT', () => recordRunDetails(ctx, { run: run.id, params: { lr: '0.2' }, tags: { a: 'b' } }));
    expect(error.details['field']).toBe('input.params.lr');
    await recordRunDetails(ctx, { run: run.id, params: { lr: '0.1', epochs: '3' } });
  });

  it('refuses params and metrics once the run has finished (CONFLICT), but takes tags', async () => {
    const run = await startRun(ctx, { project, name: 'r', type: 'TRAINING' });
    await finishRun(ctx, { run: run.id, status: 'COMPLETED' });
    await refused('CONFLICT', () => recordRunDetails(ctx, { run: run.id, metrics: [{ key: 'loss', value: 1 }] }));
    await refused('CONFLICT', () => recordRunDetails(ctx, { run: run.id, params: { x: '1' } }));
    const tagged = await recordRunDetails(ctx, { run: run.id, tags: { note: 'late' } });
    expect(JSON.parse(tagged.tagsJson!)).toEqual({ note: 'late' });
  });
});

describe('completeArtifact', () => {
  it('sets the digest and uri once and merges properties one level deep (null removes an entry)', async () => {
    const artifact = await recordArtifact(ctx, { project, type: 'model', name: 'm', properties: { tags: { a: '1', b: '2' }, status: 'PENDING' } });
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    const done = await completeArtifact(ctx, { artifact: artifact.id, digest, uri: 'file:///m', properties: { tags: { b: null, c: '3' }, status: 'READY' } });
    expect(done.digest).toBe(digest);
    expect(done.uri).toBe('file:///m');
    expect(JSON.parse(done.propertiesJson)).toEqual({ tags: { a: '1', c: '3' }, status: 'READY' });
    await completeArtifact(ctx, { artifact: artifact.id, digest });
    await refused('CONFLICT', () => completeArtifact(ctx, { artifact: artifact.id, digest: `sha256:${randomBytes(32).toString('hex')}` }));
    await refused('NOT_FOUND', () => completeArtifact(ctx, { artifact: 'art_missing', properties: {} }));
  });
});

describe('createExperiment and createModel', () => {
  it('create an empty experiment and model; a second one of the same name is CONFLICT and writes nothing', async () => {
    const name = unique('exp');
    const experiment = await createExperiment(ctx, { project, name });
    expect(experiment.id).toMatch(/^exp_/);
    expect((await refused('CONFLICT', () => createExperiment(ctx, { project, name }))).details['existingId']).toBe(experiment.id);
    const model = await createModel(ctx, { project, name, description: 'd' });
    expect(model.nextNumber).toBe(1);
    expect((await refused('CONFLICT', () => createModel(ctx, { project, name }))).details['existingId']).toBe(model.id);
  });

  it('numbers the first version of a model created empty 1, DERIVED_FROM the artifact it was registered from', async () => {
    const name = unique('model');
    await createModel(ctx, { project, name });
    const artifact = await recordArtifact(ctx, { project, type: 'model', name: 'm' });
    const version = await registerModelVersion(ctx, { project, model: name, source: artifact.id });
    expect(version.number).toBe(1);
    const { records } = await driver.executeQuery('MATCH (:ModelVersion {id: $v})-[r:DERIVED_FROM]->(a:Artifact) RETURN a.id AS id', { v: version.id });
    expect(records.map((r) => r.get('id'))).toEqual([artifact.id]);
  });
});
