/**
 * A dispatcher whose tail falls behind retention pruning: the subscriptions before the pruned
 * range end with CURSOR_EXPIRED (as replay answers) instead of silently missing its events, one
 * at or after it keeps its events, and the tail moves past the range, so new subscriptions work.
 * The tail is held back by gating its reads; everything else is the real executor and Neo4j.
 */
import { describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { createDispatcher } from '../../../src/events/dispatcher.ts';
import { checkFilter } from '../../../src/events/filter.ts';
import type { Delivery } from '../../../src/events/subscription.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';
import { createExecutor, type Executor } from '../../../src/neo4j/executor.ts';
import { eventLogBounds, pruneEventsBefore } from '../../../src/neo4j/queries/events.ts';
import { PedigreeError } from '../../../src/domain/errors.ts';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';
import { createProject, registerDataset } from '../../support/events.ts';

const server = useGateway();

/** A dispatcher whose tail reads wait while `hold()` is in effect. */
async function startLaggingDispatcher() {
  const driver = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
  const real = createExecutor({ driver, database: 'neo4j', logger: pino({ level: 'silent' }) });
  let gate: Promise<void> | null = null;
  let open = () => {};
  const executor: Executor = {
    ...real,
    async readOne(unit, work) {
      while (unit === 'events.tail' && gate) await gate;
      return real.readOne(unit, work);
    },
  };
  const dispatcher = createDispatcher({ executor, logger: pino({ level: 'silent' }), config: { pollMs: 20, pageSize: 500, queueSize: 1_000, retentionMs: 3_600_000, pruneIntervalMs: 0 } });
  await dispatcher.start();
  return {
    dispatcher,
    executor: real,
    hold: () => void (gate ??= new Promise<void>((resolve) => (open = () => ((gate = null), resolve())))),
    release: () => open(),
    async stop() {
      open();
      await dispatcher.stop();
      await driver.close();
    },
  };
}

async function next(iterator: AsyncIterator<Delivery>): Promise<Delivery | 'done'> {
  const result = await iterator.next();
  return result.done ? 'done' : result.value;
}

async function subject(iterator: AsyncIterator<Delivery>): Promise<string> {
  const delivery = await next(iterator);
  if (delivery === 'done' || 'error' in delivery) throw new Error(`expected an event, got ${JSON.stringify(delivery)}`);
  return delivery.event.subjectId;
}

async function expectExpired(iterator: AsyncIterator<Delivery>): Promise<void> {
  const delivery = await next(iterator);
  expect(delivery !== 'done' && 'error' in delivery).toBe(true);
  const error = (delivery as { error: Error }).error;
  expect(error).toBeInstanceOf(PedigreeError);
  expect((error as PedigreeError).code).toBe('CURSOR_EXPIRED');
  expect(await next(iterator)).toBe('done');
}

/** Prunes with a tiny retention (everything older than 1 ms), batch by batch as the dispatcher does. */
async function pruneAll(executor: Executor): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  while ((await executor.write('test.prune', (tx) => pruneEventsBefore(tx, Date.now() - 1, 10_000))) > 0);
  return (await executor.readOne('test.bounds', eventLogBounds)).prunedThrough;
}

describe('a dispatcher behind retention pruning', () => {
  it('expires the subscriptions before a wholly pruned range, and new subscriptions start after it', async () => {
    const project = await createProject(server, unique('lag-empty'));
    const filter = checkFilter({ projects: [project] });
    const lagging = await startLaggingDispatcher();
    try {
      const { dispatcher } = lagging;
      const early = await dispatcher.subscribe(filter, null);
      const first = await registerDataset(server, project, 'clicks', 1);
      expect(await subject(early)).toBe(first);

      lagging.hold();
      const late = await dispatcher.subscribe(filter, null); // at the tail's position too
      for (let i = 2; i <= 4; i += 1) await registerDataset(server, project, 'clicks', i);
      const prunedThrough = await pruneAll(lagging.executor);
      lagging.release();

      await expectExpired(early);
      await expectExpired(late);
      const fresh = await dispatcher.subscribe(filter, null);
      const fifth = await registerDataset(server, project, 'clicks', 5);
      expect(await subject(fresh)).toBe(fifth);
      expect(prunedThrough).toBeGreaterThan(0);
      await fresh.return!();
    } finally {
      await lagging.stop();
    }
  });

  it('expires the subscriptions before a pruned hole instead of skipping it, and keeps one after it', async () => {
    const project = await createProject(server, unique('lag-hole'));
    const filter = checkFilter({ projects: [project] });
    const lagging = await startLaggingDispatcher();
    try {
      const { dispatcher } = lagging;
      const early = await dispatcher.subscribe(filter, null);
      const first = await registerDataset(server, project, 'clicks', 1);
      expect(await subject(early)).toBe(first);

      lagging.hold();
      for (let i = 2; i <= 4; i += 1) await registerDataset(server, project, 'clicks', i);
      const prunedThrough = await pruneAll(lagging.executor);
      // Live at the pruned range's end while the tail is still behind it: it misses nothing.
      const after = await dispatcher.subscribe(filter, prunedThrough);
      const fifth = await registerDataset(server, project, 'clicks', 5); // after the pruned range
      lagging.release();

      await expectExpired(early);
      expect(await subject(after)).toBe(fifth);
      const fresh = await dispatcher.subscribe(filter, null);
      const sixth = await registerDataset(server, project, 'clicks', 6);
      expect(await subject(fresh)).toBe(sixth);
      expect(await subject(after)).toBe(sixth);
      await Promise.all([after.return!(), fresh.return!()]);
    } finally {
      await lagging.stop();
    }
  });
});
