/**
 * Opening a subscription: it replays from Neo4j, then the tail (src/events/tail.ts) offers it
 * live events.
 *
 * Seam between replay and live: a subscription replays from Neo4j up to the dispatcher's
 * `lastSeen` and is attached (goLive) in the same synchronous step that observes
 * `position >= lastSeen`; the dispatcher advances `lastSeen` over a page and takes the list of
 * subscriptions to offer it to in one synchronous step, and a subscription ignores offers at or
 * below its position. So every seq is handed to a subscription exactly once, by replay or by
 * the dispatcher, in seq order (dispatchInSlices says why offering in slices keeps this).
 * A pending event is in neither: it gets a seq above `lastSeen` and reaches everyone live.
 */
import type { Logger } from 'pino';
import { notFound, unavailable } from '../domain/errors.ts';
import { createLoaders } from '../loaders/index.ts';
import type { Executor } from '../neo4j/executor.ts';
import { eventLogBounds, lineageNodeProject } from '../neo4j/queries/events.ts';
import { checkCursor, cursorExpired } from './cursor.ts';
import { ALL_PROJECTS, type DispatchState } from './dispatch-state.ts';
import { createMatcher, type EventFilter } from './filter.ts';
import { readMatching } from './log.ts';
import { createSubscription, type Delivery, type Subscription } from './subscription.ts';
import { watchUpstream } from './watches.ts';

export interface Replay {
  /** Opens a subscription and starts its replay (Dispatcher.subscribe). */
  subscribe(filter: EventFilter, after: number | null): Promise<AsyncIterableIterator<Delivery>>;
}

export function createReplay(options: { executor: Executor; logger: Logger; state: DispatchState; pageSize: number; queueSize: number }): Replay {
  const { executor, logger, state } = options;

  async function subscribe(filter: EventFilter, after: number | null): Promise<AsyncIterableIterator<Delivery>> {
    if (state.stopped || state.lastSeen === undefined) throw unavailable('the event stream is not available yet; retry');
    const bounds = await executor.readOne('events.bounds', eventLogBounds);
    if (after !== null) checkCursor(after, bounds);
    const watchedProject = filter.upstreamOf === null ? null : await executor.readOne('events.watchedNode', (tx) => lineageNodeProject(tx, filter.upstreamOf!));
    if (filter.upstreamOf !== null && watchedProject === null) throw notFound('lineage node', filter.upstreamOf, 'filter.upstreamOf');
    const matcher = createMatcher(filter, watchedProject);
    const subscription = createSubscription({
      start: after ?? state.lastSeen!,
      matcher,
      queueSize: options.queueSize,
      onEnd: () => state.subscriptions.delete(subscription),
    });
    state.subscriptions.add(subscription); // from now on, lineage changes mark its watch stale
    try {
      if (filter.upstreamOf !== null) await watchUpstream(executor, subscription, filter.upstreamOf);
    } catch (error) {
      subscription.end();
      throw error;
    }
    void replay(subscription);
    return subscription;
  }

  /** Replays from Neo4j until caught up with lastSeen, then attaches the subscription to the live feed. */
  async function replay(subscription: Subscription): Promise<void> {
    while (!subscription.ended && !state.stopped) {
      const target = state.lastSeen!;
      if (subscription.position >= target) {
        subscription.goLive();
        return;
      }
      try {
        const page = await executor.read('events.replay', async (tx) => {
          const { prunedThrough } = await eventLogBounds(tx);
          if (subscription.position < prunedThrough) throw cursorExpired(subscription.position);
          return readMatching(tx, { after: subscription.position, through: target, limit: options.pageSize, matcher: subscription.matcher });
        });
        const loaders = createLoaders(executor, ALL_PROJECTS);
        for (const event of page.events) {
          if (!(await subscription.enqueueReplayed(event, loaders))) return;
        }
        subscription.advance(page.scannedThrough);
      } catch (error) {
        logger.warn({ err: error }, 'event replay failed; ending the subscription');
        subscription.end(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  return { subscribe };
}
