/**
 * The dispatcher's live sinks (src/events/live.ts prepareLive): a page waits only a
 * bounded time for the results it prepares, so a subscriber whose result is slow to execute
 * does not hold the frames of the others; it gets the event through its queue instead, in order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { createDispatcher } from '../../../src/events/dispatcher.ts';
import { checkFilter } from '../../../src/events/filter.ts';
import { appendEvents, type NewEvent } from '../../../src/events/outbox.ts';
import type { Delivery, LiveSink, Subscription } from '../../../src/events/subscription.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { migrate } from '../../../src/neo4j/migrations.ts';
import { withSequencing } from '../../../src/events/sequenced-writes.ts';
import type { StoredEvent } from '../../../src/neo4j/queries/events.ts';
import { unique } from '../../support/graph.ts';

const logger = pino({ level: 'silent' });
const driver = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
/** Every statement's unit, in order (the dispatcher's reads included). */
const units: string[] = [];
const database = createExecutor({ driver, database: 'neo4j', logger }, [{ onQuery: ({ unit }) => void units.push(unit) }]);
const dispatcher = createDispatcher({ executor: database, logger, config: { pollMs: 60_000, pageSize: 500, queueSize: 100, retentionMs: 3_600_000, pruneIntervalMs: 0 } });
// As the gateway composes them (src/server.ts): commit, then sequence.
const executor = withSequencing(database, () => dispatcher.sequence());

beforeAll(async () => {
  await migrate(executor, logger);
  await dispatcher.start();
});
afterAll(async () => {
  await dispatcher.stop();
  await driver.close();
});

/** A sink whose results are ready once `release` is called (at once when `released`); it records the frames it writes. */
function testSink(key: string, released: boolean) {
  const prepared = new Set<string>();
  const written: string[] = [];
  let release!: () => void;
  const gate = released ? Promise.resolve() : new Promise<void>((resolve) => (release = resolve));
  const sink: LiveSink = {
    key,
    pending: 0,
    async prepare(event: StoredEvent) {
      await gate;
      prepared.add(event.id);
    },
    deliver(event: StoredEvent) {
      if (!prepared.has(event.id)) return false;
      written.push(event.subjectId);
      return true;
    },
  };
  return { sink, written, prepared, release: () => release() };
}

function events(projectId: string, tag: string, count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'RUN_STARTED', projectId, subjectId: `run_${tag}_${i}`, name: tag, actor: null }));
}

/** The next delivery's subject, or a failure after `ms` (a liveness guard, not a timing). */
async function nextSubject(next: Promise<IteratorResult<Delivery>>, ms = 10_000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([next, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no delivery')), ms)))]);
  clearTimeout(timer);
  if (result.done || 'error' in result.value) throw new Error('stream ended');
  return result.value.event.subjectId;
}

describe('live sinks', () => {
  it('a result slow to execute does not hold the other subscribers: its subscriber gets the event through its queue, in order', async () => {
    const projectId = unique('prj_sinks');
    const filter = checkFilter({ projects: [projectId] });
    // The dispatcher's streams are Subscriptions; the transport attaches sinks the same way (operations.ts).
    const fastStream = (await dispatcher.subscribe(filter, null)) as Subscription;
    const slowStream = (await dispatcher.subscribe(filter, null)) as Subscription;
    const fast = testSink('fast', true);
    const slow = testSink('slow', false);
    fastStream.attach(fast.sink);
    slowStream.attach(slow.sink);
    // Both consumers parked in next(), as graphql-ws is between events: frames may skip the queue.
    void fastStream.next();
    const slowNext = slowStream.next();
    try {
      await executor.write('test.append', (tx) => appendEvents(tx, events(projectId, 'first', 2)));
      // The slow result never became ready, yet the page went out: frames to the fast sink, the
      // queue to the slow one (which then stays on the queue for the page's second event).
      expect(await nextSubject(slowNext)).toBe('run_first_0');
      expect(await nextSubject(slowStream.next())).toBe('run_first_1');
      expect(slow.prepared.size).toBe(0);
      expect(fast.written).toEqual(['run_first_0', 'run_first_1']);

      // Released, and its consumer parked again, the slow key gets frames too; nothing was lost or repeated.
      slow.release();
      void slowStream.next();
      await executor.write('test.append', (tx) => appendEvents(tx, events(projectId, 'second', 1)));
      await expect.poll(() => slow.written).toEqual(['run_second_0']);
      expect(fast.written).toEqual(['run_first_0', 'run_first_1', 'run_second_0']);
    } finally {
      slow.release(); // a dispatcher still waiting for it could not stop
      await fastStream.return!();
      await slowStream.return!();
    }
  });
});

describe('a page of live events', () => {
  it('is one read: the tail returns the project, subject and previous node every delivery reads, and preload finds them loaded', async () => {
    const projectId = unique('prj_page');
    const [first, second] = ['dsv_page_first_' + projectId, 'dsv_page_second_' + projectId];
    await executor.write('test.nodes', (tx) =>
      tx.run(
        `CREATE (:Project {id: $projectId, name: $projectId, createdAt: datetime()})
         CREATE (:DatasetVersion:LineageNode {id: $first, projectId: $projectId, datasetId: 'ds_page', number: 1, digest: 'sha256:1', uri: 's3://a', createdAt: datetime()})
         CREATE (:DatasetVersion:LineageNode {id: $second, projectId: $projectId, datasetId: 'ds_page', number: 2, digest: 'sha256:2', uri: 's3://b', createdAt: datetime()})`,
        { projectId, first, second },
      ),
    );
    const stream = (await dispatcher.subscribe(checkFilter({ projects: [projectId] }), null)) as Subscription;
    const read: unknown[] = [];
    const sink: LiveSink = {
      key: 'page',
      pending: 0,
      // What a subscription's selection reads, through the page's loaders.
      async prepare(event, loaders) {
        read.push(await loaders.project.load(event.projectId), await loaders.datasetVersion.load(event.subjectId), event.previousId ? await loaders.datasetVersion.load(event.previousId) : null);
      },
      deliver: () => true,
    };
    stream.attach(sink);
    // Parked in next(), as graphql-ws is between events: the page goes to the live sink.
    void stream.next();
    try {
      units.length = 0;
      await executor.write('test.append', (tx) =>
        appendEvents(tx, [{ kind: 'DATASET_VERSION_CREATED', projectId, subjectId: second, previousId: first, name: 'page', actor: null }]),
      );
      await expect.poll(() => read.length).toBe(3);
      const [project, subject, previous] = read as [{ id: string; createdAt: Date }, { id: string; number: number; createdAt: Date }, { id: string; number: number }];
      expect(project).toMatchObject({ id: projectId, name: projectId });
      expect(project.createdAt).toBeInstanceOf(Date);
      expect(subject).toMatchObject({ id: second, number: 2, uri: 's3://b', projectId });
      expect(subject.createdAt).toBeInstanceOf(Date);
      expect(previous).toMatchObject({ id: first, number: 1 });
      // The write, its sequencer step, and one read of the tail: no node loads for the page.
      expect(units.filter((unit) => !unit.startsWith('test.'))).toEqual(['events.sequence', 'events.tail']);
    } finally {
      await stream.return!();
    }
  });
});
