/**
 * The in-process tier: services called directly, as resolvers and REST adapters call them, with
 * the gateway's executor (sequenced event writes included) against the suite's real Neo4j, and no
 * HTTP or GraphQL in between. For what a service guarantees (numbering, idempotency, refusals,
 * what one call writes); what clients see over the wire stays with the gateway tests.
 *
 * `useServices()` at module level registers its own beforeAll/afterAll and returns the handle.
 * "Nothing written" is counted within one project (`projectCounts`), so a test's check does
 * not depend on what other files write meanwhile.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { ADMIN_VIEWER, type Viewer } from '../../src/auth/viewer.ts';
import { PedigreeError } from '../../src/domain/errors.ts';
import { withSequencing } from '../../src/events/sequenced-writes.ts';
import { createSequencer } from '../../src/events/sequencer.ts';
import { createDriver } from '../../src/neo4j/driver.ts';
import { createExecutor, type Executor } from '../../src/neo4j/executor.ts';
import { migrate } from '../../src/neo4j/migrations.ts';
import { createProject } from '../../src/recording/projects.ts';
import { unique, type GraphCounts } from './graph.ts';

export interface Services {
  /** The executor as the gateway composes it: write units that append events answer once they have seqs. */
  readonly executor: Executor;
  /** The dependencies a service takes, for `viewer` (the admin by default). */
  deps(viewer?: Viewer): { executor: Executor; viewer: Viewer };
  /** A viewer holding `role` in one project only. */
  member(projectId: string, role: 'VIEWER' | 'WRITER' | 'ADMIN'): Viewer;
  /** A new project, created through the service; its id. */
  project(prefix?: string): Promise<string>;
  /** Nodes of the project (its own node and every node carrying its id), relationships touching them, and its events. */
  projectCounts(projectId: string): Promise<GraphCounts>;
}

export function useServices(): Services {
  const logger = pino({ level: 'silent' });
  let state: { executor: Executor; close: () => Promise<void> } | undefined;
  const live = () => {
    if (!state) throw new Error('useServices: used outside its tests (beforeAll has not run)');
    return state;
  };

  beforeAll(async () => {
    const driver = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 5_000 });
    const base = createExecutor({ driver, database: 'neo4j', logger });
    await migrate(base, logger);
    const sequencer = createSequencer({ executor: base, logger, onSequenced: () => {} });
    state = { executor: withSequencing(base, () => sequencer.settle(), { sequenced: () => {} }), close: () => driver.close() };
  });
  afterAll(async () => {
    await state?.close();
    state = undefined;
  });

  const services: Services = {
    get executor() {
      return live().executor;
    },
    deps: (viewer = ADMIN_VIEWER) => ({ executor: live().executor, viewer }),
    member: (projectId, role) => ({
      subject: unique('user'),
      admin: false,
      roles: new Map([[projectId, role]]),
      credential: { kind: 'jwt', expiresAt: null },
    }),
    async project(prefix = 'svc') {
      return (await createProject(services.deps(), { name: unique(prefix) })).id;
    },
    async projectCounts(projectId) {
      const [record] = await live().executor.readOne('test.projectCounts', (tx) =>
        tx.run(
          `CALL () { MATCH (n) WHERE n.projectId = $projectId OR (n:Project AND n.id = $projectId) RETURN collect(n) AS nodes }
           CALL (nodes) { UNWIND nodes AS n MATCH (n)-[r]-() RETURN count(DISTINCT r) AS relationships }
           CALL () { MATCH (e:Event {projectId: $projectId}) RETURN sum(coalesce(e.count, 1)) AS events }
           RETURN size(nodes) AS nodes, relationships, events`,
          { projectId },
        ),
      );
      return { nodes: record!.get('nodes'), relationships: record!.get('relationships'), events: record!.get('events') };
    },
  };
  return services;
}

/** The code and field of the PedigreeError `promise` rejects with (fails the test if it resolves). */
export async function refusalOf(promise: Promise<unknown>): Promise<{ code: string; field: unknown }> {
  const error = await promise.then(
    () => expect.unreachable('expected a refusal'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PedigreeError);
  const { code, details } = error as PedigreeError;
  return { code, field: details['field'] };
}
