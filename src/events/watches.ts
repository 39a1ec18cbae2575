/**
 * The upstreamOf watches of the subscriptions: the set of nodes upstream of a watched node,
 * computed when a subscription opens and recomputed when a lineage-changing event is read from
 * the tail. A subscription's `watchStale` connects the two: a lineage change read while its
 * watch is being computed marks it stale, and the computation runs again.
 */
import type { Executor } from '../neo4j/executor.ts';
import { upstreamWatch, type StoredEvent } from '../neo4j/queries/events.ts';
import { LINEAGE_CHANGING_KINDS, refreshMatcher } from './filter.ts';
import type { Subscription } from './subscription.ts';

/** Computes a new subscription's watch of `upstreamOf`, again while a lineage change marked it stale meanwhile. */
export async function watchUpstream(executor: Executor, subscription: Subscription, upstreamOf: string): Promise<void> {
  do {
    subscription.watchStale = false;
    refreshMatcher(subscription.matcher, await executor.readOne('events.watch', (tx) => upstreamWatch(tx, upstreamOf)));
  } while (subscription.watchStale);
}

/** Recomputes, once per watched node, the watches a lineage-changing event may have grown. */
export async function refreshWatches(executor: Executor, subscriptions: ReadonlySet<Subscription>, events: readonly StoredEvent[]): Promise<void> {
  const changed = new Set(events.filter((e) => LINEAGE_CHANGING_KINDS.has(e.kind)).map((e) => e.projectId));
  if (changed.size === 0) return;
  const byNode = new Map<string, Subscription[]>();
  for (const subscription of subscriptions) {
    const { filter, watchedProject } = subscription.matcher;
    if (filter.upstreamOf === null || watchedProject === null || !changed.has(watchedProject)) continue;
    subscription.watchStale = true;
    const list = byNode.get(filter.upstreamOf) ?? [];
    list.push(subscription);
    byNode.set(filter.upstreamOf, list);
  }
  if (byNode.size === 0) return;
  const watches = await executor.read('events.refreshWatches', async (tx) => {
    const result = new Map<string, Awaited<ReturnType<typeof upstreamWatch>>>();
    for (const id of byNode.keys()) result.set(id, await upstreamWatch(tx, id));
    return result;
  });
  for (const [id, list] of byNode) {
    for (const subscription of list) {
      refreshMatcher(subscription.matcher, watches.get(id)!);
      subscription.watchStale = false;
    }
  }
}
