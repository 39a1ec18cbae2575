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

const PRUNE = `mutation($input: PruneCheckpointsInput!) {
  pruneCheckpoints(input: $input) { dryRun deleted { step retention deletedAt } protected { step retention } }
}`;
const STEPS = 'query($id: ID!) { run(id: $id) { checkpoints { step retention deletedAt } } }';

async function m(mutation: string, input: Record<string, unknown>): Promise<any> {
  return Object.values(await server.ok(mutation, { input }))[0];
}

/** A run with checkpoints at steps 1..6 whose val_loss is given (null: no such metric). */
async function runWithCheckpoints(losses: (number | null)[]): Promise<{ project: string; run: string; ckp: string[] }> {
  const project = (await m('mutation($input: CreateProjectInput!) { createProject(input: $input) { id } }', { name: unique('prune') })).id;
  const run = (await m('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { project, name: 'train', type: 'TRAINING' })).id;
  const ckp: string[] = [];
  for (const [i, loss] of losses.entries()) {
    const metrics = loss === null ? {} : { val_loss: loss };
    ckp.push((await m('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', { run, step: i + 1, uri: `s3://c/${i + 1}`, metrics })).id);
  }
  return { project, run, ckp };
}

const steps = (list: { step: number }[]) => list.map((c) => c.step);

describe('pruneCheckpoints', () => {
  it('dry run (the default) reports what keepLast and keepBest would drop and writes nothing', async () => {
    const { run } = await runWithCheckpoints([0.9, 0.2, 0.5, null, 0.1, 0.7]);
    const before = await graphCounts(driver);
    const result = (await server.ok(PRUNE, { input: { run, keepLast: 1, keepBest: { metric: 'val_loss', mode: 'MIN', count: 2 } } })).pruneCheckpoints;
    expect(result.dryRun).toBe(true);
    // Kept: step 6 (last), steps 5 and 2 (lowest val_loss); step 4 has no val_loss.
    expect(steps(result.deleted)).toEqual([1, 3, 4]);
    expect(result.deleted.every((c: { retention: string }) => c.retention === 'RETAINED')).toBe(true);
    expect(result.protected).toEqual([]);
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('marks dropped checkpoints DELETED with deletedAt, keeps them in lineage, and audits the prune', async () => {
    const { project, run } = await runWithCheckpoints([0.9, 0.2, 0.5, 0.1]);
    const before = await graphCounts(driver);
    const result = (await server.ok(PRUNE, { input: { run, keepBest: { metric: 'val_loss', mode: 'MAX', count: 1 }, dryRun: false } })).pruneCheckpoints;
    expect(result.dryRun).toBe(false);
    expect(steps(result.deleted)).toEqual([2, 3, 4]);
    expect(result.deleted.every((c: { retention: string; deletedAt: string | null }) => c.retention === 'DELETED' && c.deletedAt !== null)).toBe(true);
    const stored = (await server.ok(STEPS, { id: run })).run.checkpoints;
    expect(stored.map((c: { step: number; retention: string }) => [c.step, c.retention])).toEqual([[1, 'RETAINED'], [2, 'DELETED'], [3, 'DELETED'], [4, 'DELETED']]);
    // Nothing removed from the graph; one audit entry (pruning announces no event).
    expect(await graphCounts(driver)).toEqual({ ...before, nodes: before.nodes + 1 });
    const { records } = await driver.executeQuery('MATCH (a:AuditEntry {projectId: $project, action: "pruneCheckpoints"}) RETURN a.subjectId AS subject', { project });
    expect(records.map((r) => r.get('subject'))).toEqual([run]);
    // Pruning again with the same rules finds nothing more to delete.
    expect((await server.ok(PRUNE, { input: { run, keepBest: { metric: 'val_loss', mode: 'MAX', count: 1 }, dryRun: false } })).pruneCheckpoints.deleted).toEqual([]);
  });

  it('never deletes a checkpoint a deployed model version derives from, even through other nodes', async () => {
    const { project, run, ckp } = await runWithCheckpoints([0.3, 0.1, 0.2, 0.4]);
    // Step 2 (the best) is deployed; step 1 feeds a fine-tuning run whose model version exists.
    const mv = (await m('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id } }', { project, model: unique('m'), source: ckp[1] })).id;
    await m('mutation($input: DeployModelVersionInput!) { deployModelVersion(input: $input) { id } }', { version: mv, environment: 'prod' });
    const tune = (await m('mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { project, name: 'tune', type: 'FINE_TUNING', inputs: [{ id: ckp[0] }] })).id;
    const tuned = (await m('mutation($input: LogCheckpointInput!) { logCheckpoint(input: $input) { id } }', { run: tune, step: 1, uri: 's3://t/1' })).id;
    await m('mutation($input: RegisterModelVersionInput!) { registerModelVersion(input: $input) { id } }', { project, model: unique('m'), source: tuned });

    const result = (await server.ok(PRUNE, { input: { run, keepLast: 1, dryRun: false } })).pruneCheckpoints;
    expect(steps(result.deleted)).toEqual([3]);
    expect(steps(result.protected)).toEqual([1, 2]);
    expect(result.protected.every((c: { retention: string }) => c.retention === 'RETAINED')).toBe(true);
  });

  it('rejects bad arguments with BAD_USER_INPUT and the field, writing nothing', async () => {
    const { run } = await runWithCheckpoints([0.1, 0.2]);
    const before = await graphCounts(driver);
    const cases: [Record<string, unknown>, string][] = [
      [{ run, dryRun: false }, 'input'],
      [{ run, keepLast: -1, dryRun: false }, 'input.keepLast'],
      [{ run, keepBest: { metric: 'val_loss', mode: 'MIN', count: -2 }, dryRun: false }, 'input.keepBest.count'],
      [{ run, keepBest: { metric: '  ', mode: 'MIN', count: 1 }, dryRun: false }, 'input.keepBest.metric'],
      [{ run: ' ', keepLast: 1, dryRun: false }, 'input.run'],
    ];
    for (const [input, field] of cases) {
      const response = await server.gql(PRUNE, { input });
      expect(response.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const missing = await server.gql(PRUNE, { input: { run: 'run_0000000000000000000000000000000f', keepLast: 1, dryRun: false } });
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.run' });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('is for project ADMINs only: a WRITER gets FORBIDDEN, also for a dry run, and nothing changes', async () => {
    const { project, run } = await runWithCheckpoints([0.1, 0.2, 0.3]);
    const writer = (await m('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { project, role: 'WRITER', name: unique('tok') })).token;
    const before = await graphCounts(driver);
    for (const dryRun of [true, false]) {
      const response = await server.gql(PRUNE, { input: { run, keepLast: 1, dryRun } }, { authorization: `Bearer ${writer}` });
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await graphCounts(driver)).toEqual(before);
    expect((await server.ok(STEPS, { id: run })).run.checkpoints.every((c: { retention: string }) => c.retention === 'RETAINED')).toBe(true);
  });
});
