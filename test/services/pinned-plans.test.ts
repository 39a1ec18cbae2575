/**
 * The single-node writes keep their first plan (src/neo4j/plans.ts): every statement they send
 * is pinned with `replan=skip`, so a request that comes after the store's statistics drifted (a
 * bulk load, a new project's first writes) does not re-plan it. That is sound only because no
 * statistics could make another plan better: this explains each statement they sent, on the
 * suite's small store (a fresh install's plans, the ones a pin keeps), and checks that the plan
 * finds every node through an index seek, never a scan.
 */
import { randomBytes } from 'node:crypto';
import neo4j, { type Driver, type ProfiledPlan } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { QueryObserver } from '../../src/neo4j/executor.ts';
import { PINNED } from '../../src/neo4j/plans.ts';
import { logCheckpoint } from '../../src/recording/checkpoints.ts';
import { registerDatasetVersion } from '../../src/recording/datasets.ts';
import { deployModelVersion } from '../../src/recording/deployments.ts';
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

describe('pinned plans of the single-node writes', () => {
  it('pins every statement of the five write kinds, and each plan seeks by index, on first uses, later uses, refusals and replacements', async () => {
    const statements = new Map<string, string>();
    const observer: QueryObserver = { onQuery: ({ unit, query }) => void (UNITS.has(unit) && statements.set(query, unit)) };
    const deps = { ...services.deps(), executor: services.deps().executor.observed(observer) };
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
    const session = driver.session();
    try {
      // The check sees scans when there are some.
      expect(operators((await session.run('EXPLAIN MATCH (r:Run) RETURN r')).summary.plan as unknown as ProfiledPlan)).toContain('NodeByLabelScan');
      for (const [query, unit] of statements) {
        expect(query.startsWith(`${PINNED} `), `${unit}: ${query.slice(0, 120)}`).toBe(true);
        const { summary } = await session.run(`EXPLAIN ${query.slice(PINNED.length + 1)}`);
        const scans = operators(summary.plan as unknown as ProfiledPlan).filter((operator) => /Scan/.test(operator));
        expect(scans, `${unit}: ${query.slice(0, 200)}`).toEqual([]);
      }
    } finally {
      await session.close();
    }
    expect(statements.size).toBeGreaterThan(10);
  });
});
