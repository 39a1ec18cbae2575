/**
 * Run lists are served by run_project_started_id and run_experiment_started_id (V005); V032 drops
 * V001's (projectId, startedAt) index, which no statement used. Checked on the real statements'
 * plans (EXPLAIN), so a statement that loses the predicates a composite index needs shows up here
 * as a scan of every run.
 */
import { pino } from 'pino';
import type { Plan } from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, type Tx } from '../../../src/neo4j/executor.ts';
import { loadMigrations, migrate } from '../../../src/neo4j/migrations.ts';
import { runIdsOfExperiments } from '../../../src/neo4j/queries/mlflow.ts';
import { runsByStart, type RunSearch } from '../../../src/neo4j/queries/run-search.ts';
import { testDriver } from '../../support/graph.ts';

const driver = testDriver();
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  await migrate(createExecutor({ driver, database: 'neo4j', logger }), logger, await loadMigrations());
});
afterAll(() => driver.close());

/** The plan of each statement `work` runs (explained, not run). */
async function plansOf(work: (tx: Tx) => Promise<unknown>): Promise<string[]> {
  const plans: string[] = [];
  const flatten = (plan: Plan): string[] => [`${plan.operatorType} ${String(plan.arguments['Details'] ?? '')}`, ...plan.children.flatMap(flatten)];
  const tx: Tx = {
    unit: 'test.explain',
    async run(query, params) {
      const { summary } = await driver.executeQuery(`EXPLAIN ${query.replace(/^CYPHER replan=skip /, '')}`, params ?? {});
      plans.push(flatten(summary.plan as Plan).join('\n'));
      return [];
    },
  };
  await work(tx);
  return plans;
}

const search = (overrides: Partial<RunSearch>): RunSearch => ({
  projectId: 'prj_x',
  experimentId: null,
  types: null,
  statuses: null,
  startedAfter: null,
  startedBefore: null,
  params: [],
  metrics: [],
  usedId: null,
  ...overrides,
});

describe('run lists', () => {
  it('V032 dropped the (projectId, startedAt) index, and the indexes that replace it are in place', async () => {
    const { records } = await driver.executeQuery("SHOW INDEXES YIELD name WHERE name STARTS WITH 'run_' RETURN collect(name) AS names");
    const names = records[0]!.get('names') as string[];
    expect(names).not.toContain('run_project_started');
    expect(names).toEqual(expect.arrayContaining(['run_project_started_id', 'run_experiment_started_id']));
  });

  it("MLflow's runs of experiments seek run_experiment_started_id instead of scanning every run", async () => {
    const [plan] = await plansOf((tx) => runIdsOfExperiments(tx, 'prj_x', ['exp_a', 'exp_b']));
    expect(plan).toMatch(/NodeIndexSeek.*:Run\(experimentId, startedAt, id\)/);
    expect(plan).not.toMatch(/NodeByLabelScan|AllNodesScan/);
  });

  it('run search by start time, with and without a time window, seeks run_project_started_id', async () => {
    for (const s of [search({}), search({ startedAfter: '2026-01-01T00:00:00Z', startedBefore: '2026-02-01T00:00:00Z' })]) {
      const [plan] = await plansOf((tx) => runsByStart(tx, s, { after: null, limit: 10, withoutMetric: null }));
      expect(plan).toMatch(/:Run\(projectId, startedAt, id\)/);
      expect(plan).not.toMatch(/NodeByLabelScan|AllNodesScan/);
    }
  });
});
