/**
 * src/events/subscription.ts with a LiveSink attached: live events skip the queue only while
 * the consumer is parked in `next()`, never overtake what is queued, take the queue when the
 * sink was not prepared, and the sink's unwritten frames count toward the queue's limit.
 * The sink here records what it was handed; the frames themselves are tested end to end in
 * test/e2e/events-frames.test.ts and test/e2e/events-resilience.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, type PedigreeError } from '../../../src/domain/errors.ts';
import { decodeCursor } from '../../../src/events/cursor.ts';
import { createMatcher } from '../../../src/events/filter.ts';
import { createSubscription, type Delivery, type LiveSink } from '../../../src/events/subscription.ts';
import type { Loaders } from '../../../src/loaders/index.ts';
import type { StoredEvent } from '../../../src/neo4j/queries/events.ts';

const loaders = {} as Loaders;

function event(seq: number): StoredEvent {
  return {
    seq,
    id: `e${seq}`,
    kind: 'DATASET_VERSION_CREATED',
    projectId: 'project',
    subjectId: `dsv_${seq}`,
    name: 'd',
    previousId: null,
    alias: null,
    actor: null,
    occurredAt: new Date(0),
    series: null,
    subjectCreatedMs: null,
  };
}

/** A sink that writes what was prepared; `pending` is set by the test. */
function recordingSink(): LiveSink & { written: number[]; prepared: Set<number>; pending: number } {
  const sink = {
    key: 'op',
    pending: 0,
    written: [] as number[],
    prepared: new Set<number>(),
    prepare: async (e: StoredEvent) => {
      sink.prepared.add(e.seq);
    },
    deliver: (e: StoredEvent) => {
      if (!sink.prepared.has(e.seq)) return false;
      sink.written.push(e.seq);
      return true;
    },
  };
  return sink;
}

function liveSubscription(queueSize = 4) {
  const subscription = createSubscription({ start: 0, matcher: createMatcher({ projects: null, kinds: null, names: null, upstreamOf: null }, null), queueSize, onEnd: () => {} });
  subscription.goLive();
  const sink = recordingSink();
  subscription.attach(sink);
  return { subscription, sink };
}

const seqOf = (result: IteratorResult<Delivery>) => (result.done || !('event' in result.value) ? null : result.value.event.seq);

describe('a subscription with a live sink', () => {
  it('hands live events to the sink while the consumer is parked, and to the queue while it is busy, in order', async () => {
    const { subscription, sink } = liveSubscription();
    for (let seq = 1; seq <= 6; seq += 1) await sink.prepare(event(seq), loaders);

    expect(subscription.offer(event(1), loaders)).toBe(true); // nobody is waiting in next() yet: queued
    expect(sink.written).toEqual([]);
    expect(seqOf(await subscription.next())).toBe(1);

    const parked = subscription.next(); // the consumer waits: the next offer takes the sink...
    expect(subscription.offer(event(2), loaders)).toBe(false);
    expect(subscription.offer(event(3), loaders)).toBe(false);
    expect(sink.written).toEqual([2, 3]);
    // ...and the consumer was not woken for them.
    subscription.offer(event(4), loaders);
    expect(sink.written).toEqual([2, 3, 4]);

    subscription.end();
    expect((await parked).done).toBe(true);
  });

  it('never lets a frame overtake an event already queued: while the consumer is busy, later events queue behind', async () => {
    const { subscription, sink } = liveSubscription();
    for (let seq = 1; seq <= 3; seq += 1) await sink.prepare(event(seq), loaders);
    const parked = subscription.next();
    sink.prepared.delete(1); // not prepared: takes the queue, which wakes the consumer
    expect(subscription.offer(event(1), loaders)).toBe(true);
    expect(subscription.offer(event(2), loaders)).toBe(true); // the consumer is busy with 1: 2 queues behind it
    expect(subscription.offer(event(3), loaders)).toBe(true);
    expect(sink.written).toEqual([]);
    expect(seqOf(await parked)).toBe(1);
    expect(seqOf(await subscription.next())).toBe(2);
    expect(seqOf(await subscription.next())).toBe(3);
    const next = subscription.next(); // parked again: the sink again
    await sink.prepare(event(4), loaders);
    subscription.offer(event(4), loaders);
    expect(sink.written).toEqual([4]);
    subscription.end();
    expect((await next).done).toBe(true);
  });

  it("ends with LIMIT_EXCEEDED when the sink's unwritten frames reach the queue size, naming the last event it took", async () => {
    const { subscription, sink } = liveSubscription(4);
    for (let seq = 1; seq <= 3; seq += 1) await sink.prepare(event(seq), loaders);
    const parked = subscription.next();
    subscription.offer(event(1), loaders);
    subscription.offer(event(2), loaders);
    sink.pending = 4; // the socket has not taken four frames
    subscription.offer(event(3), loaders);
    expect(sink.written).toEqual([1, 2]);
    expect(subscription.ended).toBe(true);
    const result = await parked;
    expect(result.done).toBe(false);
    const { error } = result.value as { error: PedigreeError };
    expect(error.code).toBe(ErrorCode.LIMIT_EXCEEDED);
    expect(error.message).toMatch(/fell more than 4 events behind/);
    expect(decodeCursor('after', error.details['lastCursor'] as string)).toBe(2);
    expect((await subscription.next()).done).toBe(true);
  });
});
