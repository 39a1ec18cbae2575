/**
 * The single-node writes and recordLineage's statements keep their first plan
 * (src/neo4j/plans.ts): they are pinned with `replan=skip`, so a request that comes after the
 * store's statistics drifted (a bulk load, a new project's first writes) does not re-plan them.
 * That is sound only because no statistics could make another plan better: this explains each
 * pinned statement they sent, on the suite's small store (a fresh install's plans, the ones a pin
 * keeps), and checks that the plan finds every node through an index seek, never a scan.
 */
import { randomBytes } from 'node:crypto';
import neo4j, { type Driver, type ProfiledPlan } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { QueryObserver, Tx } from '../../src/neo4j/executor.ts';
import { PINNED } from '../../src/neo4j/plans.ts';
import { eventLogBounds, eventsInRange, sequencePending } from '../../src/neo4j/queries/events.ts';
import { logCheckpoint } from '../../src/recording/checkpoints.ts';
import { registerDatasetVersion } from '../../src/recording/datasets.ts';
import { deployModelVersion } from '../../src/recording/deployments.ts';
import { recordLineage, type BatchNode } from '../../src/recording/lineage-batch.ts';
import { registerModelVersion } from '../../src/recording/models.ts';
import { startRun } from '../../src/recording/runs.ts';
import { refusalOf, useServices } from '../support/services.ts';

const services = useServices();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;
const MISSING_RUN = 'run_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e';
const UNITS = new Set(['registerDatasetVersion', 'startRun', 'logCheckpoint', 'registerModelVersion', 'deployModelVersion']);

let driver: Driver;
beforeAll(() => {
  driver = neo4j.driver(inject('neo4jUri'), neo4j.auth.basic('neo4j', 'neo4j'));
});
afterAll(() => driver.close());

/** Every operator of a plan tree. */
function operators(plan: ProfiledPlan | { operatorType: string; children: unknown[] }): string[] {
  const node = plan as { operatorType: string; children: (typeof plan)[] };
  return [node.operatorType.replace(/@.*$/, ''), ...node.children.flatMap(operators)];
}

/** Deps whose executor records each distinct statement of `units`, with its unit. */
function collecting(units: ReadonlySet<string>) {
  const statements = new Map<string, string>();
  const observer: QueryObserver = { onQuery: ({ unit, query }) => void (units.has(unit) && statements.set(query, unit)) };
  const deps = services.deps();
  return { deps: { ...deps, executor: deps.executor.observed(observer) }, statements };
}

/** The scan operators in the plan of each statement (without its pin), which must be none. */
async function expectIndexSeeksOnly(statements: ReadonlyMap<string, string>): Promise<void> {
  const session = driver.session();
  try {
    // The check sees scans when there are some.
    expect(operators((await session.run('EXPLAIN MATCH (r:Run) RETURN r')).summary.plan as unknown as ProfiledPlan)).toContain('NodeByLabelScan');
    for (const [query, unit] of statements) {
      const { summary } = await session.run(`EXPLAIN ${query.startsWith(`${PINNED} `) ? query.slice(PINNED.length + 1) : query}`);
      const scans = operators(summary.plan as unknown as ProfiledPlan).filter((operator) => /Scan/.test(operator));
      expect(scans, `${unit}: ${query.slice(0, 200)}`).toEqual([]);
    }
  } finally {
    await session.close();
  }
}

describe('pinned plans of the single-node writes', () => {
  it('pins every statement of the five write kinds, and each plan seeks by index, on first uses, later uses, refusals and replacements', async () => {
    const { deps, statements } = collecting(UNITS);
    const project = await services.project('pinned');

    // First uses (a new dataset and model take the transaction path), then later uses (one statement each).
    const raw = await registerDatasetVersion(deps, { project, dataset: 'raw', digest: sha(), uri: 's3://b/raw' });
    for (let i = 0; i < 2; i++) {
      const run = await startRun(deps, { project, name: 'train', type: 'TRAINING', inputs: [{ id: raw.id, role: 'train' }] });
      await registerDatasetVersion(deps, { project, dataset: 'features', digest: sha(), uri: `s3://b/f${i}`, producedBy: run.id });
      const checkpoint = await logCheckpoint(deps, { run: run.id, step: 1, uri: `s3://ckpt/${i}` });
      const version = await registerModelVersion(deps, { project, model: 'ranker', source: checkpoint.id });
      await deployModelVersion(deps, { version: version.id, environment: 'prod' });
    }
    // Refusals run the gated statement, then the checked transaction.
    expect((await refusalOf(startRun(deps, { project, name: 'x', type: 'TRAINING', inputs: [{ id: MISSING_RUN }] }))).code).toBe('NOT_FOUND');
    expect((await refusalOf(registerModelVersion(deps, { project, model: 'ranker', source: raw.id }))).code).toBe('BAD_USER_INPUT');

    expect(new Set(statements.values())).toEqual(UNITS);
    for (const [query, unit] of statements) expect(query.startsWith(`${PINNED} `), `${unit}: ${query.slice(0, 120)}`).toBe(true);
    await expectIndexSeeksOnly(statements);
    expect(statements.size).toBeGreaterThan(10);
  });

  it("pins recordLineage's statements, each seeking by index, on first uses, later batches and a batch sent again", async () => {
    const { deps, statements } = collecting(new Set(['recordLineage']));
    const project = await services.project('pinned-batch');
    const batch = (tag: string): BatchNode[] => [
      { key: 'raw', kind: 'DATASET_VERSION', externalId: `${tag}/raw`, fields: { dataset: 'clicks', uri: 's3://raw', digest: sha() } },
      { key: 'prep', kind: 'RUN', status: 'COMPLETED', externalId: `${tag}/prep`, fields: { name: 'prep', type: 'DATA_PROCESSING', inputs: [{ id: 'raw', role: 'source' }], idempotencyKey: `${tag}/prep` } },
      { key: 'data', kind: 'DATASET_VERSION', externalId: `${tag}/data`, fields: { dataset: 'train', uri: 's3://train', digest: sha(), label: `${tag}-v`, producedBy: 'prep' } },
      { key: 'train', kind: 'RUN', status: 'COMPLETED', externalId: `${tag}/train`, fields: { name: 'train', type: 'TRAINING', experiment: 'exp', parent: 'prep', params: { lr: 0.1 }, inputs: [{ id: 'data', role: 'train' }] } },
      { key: 'ckp', kind: 'CHECKPOINT', externalId: `${tag}/ckp`, fields: { run: 'train', step: 100, uri: 's3://ckp' } },
      { key: 'model', kind: 'MODEL_VERSION', externalId: `${tag}/model`, fields: { model: 'ranker', source: 'ckp', semver: `1.0.${tag.length}` } },
      { key: 'eval', kind: 'RUN', status: 'RUNNING', externalId: `${tag}/eval`, fields: { name: 'eval', type: 'EVALUATION' } },
      { key: 'report', kind: 'ARTIFACT', externalId: `${tag}/report`, fields: { type: 'report', name: 'eval', digest: sha() } },
    ];
    const edges = [
      { from: 'eval', to: 'model', kind: 'USED' as const, role: 'model' },
      { from: 'report', to: 'eval', kind: 'GENERATED_BY' as const },
      { from: 'report', to: 'data', kind: 'DERIVED_FROM' as const },
    ];
    const first = batch('a');
    expect((await recordLineage(deps, { project, nodes: first, edges })).created).toBe(first.length);
    // Existing datasets, model and experiment; then the first batch again, all found by externalId and key.
    expect((await recordLineage(deps, { project, nodes: batch('bb'), edges })).created).toBe(first.length);
    expect(await recordLineage(deps, { project, nodes: first, edges })).toMatchObject({ created: 0, existing: first.length, edges: 0 });

    const pinnedOnes = new Map([...statements].filter(([query]) => query.startsWith(`${PINNED} `)));
    expect(pinnedOnes.size).toBeGreaterThan(15);
    await expectIndexSeeksOnly(pinnedOnes);
  });

  it("pins the event log's tail, bounds and sequencer step; the tail and bounds seek by index", async () => {
    const sent: string[] = [];
    const capturing: Tx = { unit: 'test.capture', run: async (query) => (sent.push(query), []) };
    await eventsInRange(capturing, { after: 0, through: 10, limit: 10, internal: true });
    await eventLogBounds(capturing).catch(() => {});
    await sequencePending(capturing, 100);
    expect(sent).toHaveLength(3);
    for (const query of sent) expect(query.startsWith(`${PINNED} `), query.slice(0, 120)).toBe(true);
    // The step's plan is fixed by its index hint and bounded by its LIMITs, which
    // test/integration/events/sequencer.test.ts measures: its cost follows the step, not the backlog.
    await expectIndexSeeksOnly(new Map(sent.slice(0, 2).map((query) => [query, 'events'])));
  });
});
