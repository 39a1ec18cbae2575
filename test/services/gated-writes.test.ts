/**
 * The single-node writes that commit on their own (src/recording/gated-write.ts): startRun,
 * logCheckpoint, registerDatasetVersion and registerModelVersion send one auto-commit statement,
 * which nothing can roll back, so their checks are conditions inside it. A refused call writes
 * nothing with that statement; the same unit then runs in a transaction whose checks name the
 * failure. Counted in the project and its neighbour, statement by statement.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/auth/viewer.ts';
import type { QueryObserver } from '../../src/neo4j/executor.ts';
import { logCheckpoint } from '../../src/recording/checkpoints.ts';
import { registerDatasetVersion } from '../../src/recording/datasets.ts';
import { registerModelVersion } from '../../src/recording/models.ts';
import { startRun } from '../../src/recording/runs.ts';
import { refusalOf, useServices } from '../support/services.ts';

const services = useServices();
const sha = () => `sha256:${randomBytes(32).toString('hex')}`;
const MISSING_RUN = 'run_0190b4d3a6f87c3a9c1e2f3a4b5c6d7e';

type Deps = ReturnType<typeof observed>['deps'];

/** Deps whose executor records each statement's unit and whether it was its own transaction. */
function observed(viewer?: Viewer) {
  const statements: { unit: string; autoCommit: boolean }[] = [];
  const observer: QueryObserver = { onQuery: ({ unit, autoCommit }) => void statements.push({ unit, autoCommit }) };
  const deps = services.deps(viewer);
  return { deps: { ...deps, executor: deps.executor.observed(observer) }, statements };
}

describe('single-node writes in one auto-commit statement', () => {
  it('record in one auto-commit statement each once the dataset and model exist', async () => {
    const project = await services.project('gated');
    const data = await registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/1' });
    const first = await startRun(services.deps(), { project, name: 'first', type: 'TRAINING' });
    await registerModelVersion(services.deps(), { project, model: 'ranker', source: first.id });

    const writes: [string, (deps: Deps) => Promise<{ id: string }>][] = [
      ['registerDatasetVersion', (deps) => registerDatasetVersion(deps, { project, dataset: 'clicks', digest: sha(), uri: 's3://b/2' })],
      ['startRun', (deps) => startRun(deps, { project, name: 'train', type: 'TRAINING', inputs: [{ id: data.id, role: 'train' }] })],
    ];
    const before = await services.projectCounts(project);
    let run = '';
    for (const [unit, write] of writes) {
      const { deps, statements } = observed();
      const written = await write(deps);
      if (unit === 'startRun') run = written.id;
      expect(statements).toEqual([{ unit, autoCommit: true }]);
    }
    const checkpoint = observed();
    const ckp = await logCheckpoint(checkpoint.deps, { run, step: 1, uri: 's3://ckpt/1' });
    expect(checkpoint.statements).toEqual([{ unit: 'logCheckpoint', autoCommit: true }]);
    const model = observed();
    const version = await registerModelVersion(model.deps, { project, model: 'ranker', source: ckp.id });
    expect(model.statements).toEqual([{ unit: 'registerModelVersion', autoCommit: true }]);
    expect(version.number).toBe(2);
    // Four nodes, each with its event; edges: VERSION_OF, USED, GENERATED_BY, VERSION_OF + DERIVED_FROM.
    const after = await services.projectCounts(project);
    expect(after.events - before.events).toBe(4);
    expect(after.nodes - before.nodes).toBe(4 + 4 /* audit entries */ + 4 /* events */);
  });

  it('refuse a missing, other-project or wrong-kind reference with the checks of a transaction, having written nothing', async () => {
    const project = await services.project('gated');
    const other = await services.project('gated-other');
    const data = await registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/1' });
    const foreign = await startRun(services.deps(), { project: other, name: 'elsewhere', type: 'TRAINING' });
    const run = await startRun(services.deps(), { project, name: 'train', type: 'TRAINING' });
    await registerModelVersion(services.deps(), { project, model: 'ranker', source: run.id });
    const before = [await services.projectCounts(project), await services.projectCounts(other)];

    const cases: [string, string, (deps: Deps) => Promise<unknown>, { code: string; field: unknown }][] = [
      ['startRun', 'missing input', (deps) => startRun(deps, { project, name: 'x', type: 'TRAINING', inputs: [{ id: MISSING_RUN }] }), { code: 'NOT_FOUND', field: 'input.inputs[0].id' }],
      ['startRun', "another project's parent", (deps) => startRun(deps, { project, name: 'x', type: 'TRAINING', parent: foreign.id }), { code: 'NOT_FOUND', field: 'input.parent' }],
      ['registerDatasetVersion', "another project's producer", (deps) => registerDatasetVersion(deps, { project, dataset: 'clicks', digest: sha(), uri: 's3://b/2', producedBy: foreign.id }), { code: 'NOT_FOUND', field: 'input.producedBy' }],
      ['registerDatasetVersion', 'a producer that is no run', (deps) => registerDatasetVersion(deps, { project, dataset: 'clicks', digest: sha(), uri: 's3://b/3', producedBy: data.id }), { code: 'BAD_USER_INPUT', field: 'input.producedBy' }],
      ['registerModelVersion', 'a source of another kind', (deps) => registerModelVersion(deps, { project, model: 'ranker', source: data.id }), { code: 'BAD_USER_INPUT', field: 'input.source' }],
      ['registerModelVersion', 'a missing source', (deps) => registerModelVersion(deps, { project, model: 'ranker', source: MISSING_RUN }), { code: 'NOT_FOUND', field: 'input.source' }],
      ['registerModelVersion', "another project's source", (deps) => registerModelVersion(deps, { project, model: 'ranker', source: foreign.id }), { code: 'NOT_FOUND', field: 'input.source' }],
      ['logCheckpoint', 'a missing run', (deps) => logCheckpoint(deps, { run: MISSING_RUN, step: 1, uri: 's3://ckpt/1' }), { code: 'NOT_FOUND', field: 'input.run' }],
    ];
    for (const [unit, what, write, expected] of cases) {
      const { deps, statements } = observed();
      expect(await refusalOf(write(deps)), what).toEqual(expected);
      // The gated statement, then the unit in a transaction (its statements, all rolled back).
      expect(statements[0], what).toEqual({ unit, autoCommit: true });
      expect(statements.length, what).toBeGreaterThan(1);
      expect(statements.slice(1).every((s) => s.unit === unit && !s.autoCommit), what).toBe(true);
    }
    expect([await services.projectCounts(project), await services.projectCounts(other)]).toEqual(before);
  });

  it("refuse a viewer without the WRITER role in the run's or the project's project, having written nothing", async () => {
    const project = await services.project('gated');
    const run = await startRun(services.deps(), { project, name: 'train', type: 'TRAINING' });
    await registerModelVersion(services.deps(), { project, model: 'ranker', source: run.id });
    const before = await services.projectCounts(project);
    const reader = services.member(project, 'VIEWER');
    const outsider = services.member(await services.project('gated-other'), 'WRITER');

    // A VIEWER is told FORBIDDEN; a writer of another project does not see this one (NOT_FOUND).
    for (const [viewer, code] of [[reader, 'FORBIDDEN'], [outsider, 'NOT_FOUND']] as const) {
      const checkpoint = observed(viewer);
      expect((await refusalOf(logCheckpoint(checkpoint.deps, { run: run.id, step: 1, uri: 's3://ckpt/1' }))).code).toBe(code);
      expect(checkpoint.statements.map((s) => s.autoCommit)).toEqual([true, false]);
      // The others check the role on the project they are given before any statement.
      for (const write of [
        (deps: Deps) => startRun(deps, { project, name: 'x', type: 'TRAINING' }),
        (deps: Deps) => registerDatasetVersion(deps, { project, dataset: 'clicks', digest: sha(), uri: 's3://b/2' }),
        (deps: Deps) => registerModelVersion(deps, { project, model: 'ranker', source: run.id }),
      ]) {
        const { deps, statements } = observed(viewer);
        expect((await refusalOf(write(deps))).code).toBe(code);
        expect(statements).toEqual([]);
      }
    }
    expect(await services.projectCounts(project)).toEqual(before);
  });

  it('leave a CONFLICT to the auto-commit statement: a taken label or semver is refused there, having written nothing', async () => {
    const project = await services.project('gated');
    await registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/1', label: 'v1' });
    const run = await startRun(services.deps(), { project, name: 'train', type: 'TRAINING' });
    await registerModelVersion(services.deps(), { project, model: 'ranker', source: run.id, semver: '1.0.0' });
    const before = await services.projectCounts(project);
    const label = observed();
    expect(await refusalOf(registerDatasetVersion(label.deps, { project, dataset: 'clicks', digest: sha(), uri: 's3://b/2', label: 'v1' }))).toEqual({ code: 'CONFLICT', field: 'input.label' });
    expect(label.statements).toEqual([{ unit: 'registerDatasetVersion', autoCommit: true }]);
    const semver = observed();
    expect(await refusalOf(registerModelVersion(semver.deps, { project, model: 'ranker', source: run.id, semver: '1.0.0' }))).toEqual({ code: 'CONFLICT', field: 'input.semver' });
    expect(semver.statements).toEqual([{ unit: 'registerModelVersion', autoCommit: true }]);
    expect(await services.projectCounts(project)).toEqual(before);
    // The numbers given back: the next versions are 2.
    expect((await registerDatasetVersion(services.deps(), { project, dataset: 'clicks', digest: sha(), uri: 's3://b/3' })).number).toBe(2);
    expect((await registerModelVersion(services.deps(), { project, model: 'ranker', source: run.id })).number).toBe(2);
  });
});
