/**
 * Preparing a page of live events and offering it to the subscriptions (src/events/tail.ts
 * calls these in order): preload what every delivery reads, prepare the live sinks' results,
 * then offer the page in time slices. None of it keeps state between pages.
 */
import type DataLoader from 'dataloader';
import { labelOf } from '../domain/ids.ts';
import { LINEAGE_LOADER, type Loaders } from '../loaders/index.ts';
import type { EventPageRows, StoredEvent } from '../neo4j/queries/events.ts';
import type { Matcher } from './filter.ts';
import type { LiveSink, Subscription } from './subscription.ts';

/** The longest the dispatcher offers a page in one macrotask, in ms (see dispatchInSlices). */
const DISPATCH_SLICE_MS = 8;
/** The most subscribers whose offers queued (delivery through graphql-ws) per macrotask. */
const DISPATCH_QUEUED = 100;
/** The longest a page waits for the live results it prepares, in ms (see prepareLive). */
const PREPARE_WAIT_MS = 25;

/** The lineage nodes the events name (subjects and previous nodes), each once, with its by-id loader. */
function namedNodes(loaders: Loaders, events: readonly StoredEvent[]): { id: string; label: string; loader: DataLoader<string, unknown> }[] {
  const named = [];
  for (const id of new Set(events.flatMap((e) => (e.previousId ? [e.subjectId, e.previousId] : [e.subjectId])))) {
    const label = labelOf(id);
    if (label && label in LINEAGE_LOADER) named.push({ id, label, loader: loaders[LINEAGE_LOADER[label as keyof typeof LINEAGE_LOADER]] as DataLoader<string, unknown> });
  }
  return named;
}

/**
 * Primes the page's loaders with the rows its tail read returned (eventsInRangeWithRows), so that
 * `preload` finds every project, subject and previous node cached. An id the read did not find
 * (a node deleted since) is primed as missing, as its load would have answered.
 */
export function primeRows(loaders: Loaders, events: readonly StoredEvent[], rows: EventPageRows): void {
  for (const [id, row] of rows.projects) loaders.project.prime(id, row);
  for (const { id, label, loader } of namedNodes(loaders, events)) {
    const found = rows.nodes.get(id);
    loader.prime(id, found && found.label === label ? found.row : null);
  }
}

/** Loads the events' projects, subjects and previous nodes; throws the first load failure. */
export async function preload(loaders: Loaders, events: readonly StoredEvent[]): Promise<void> {
  const loads: Promise<unknown>[] = [loaders.project.loadMany([...new Set(events.map((e) => e.projectId))])];
  for (const { id, loader } of namedNodes(loaders, events)) loads.push(loader.load(id));
  for (const result of await Promise.all(loads)) {
    const failed = Array.isArray(result) ? result.find((r) => r instanceof Error) : undefined;
    if (failed) throw failed;
  }
}

/**
 * Executes, once per sink key, the results the live sinks will write for the events they
 * match, so that offering the page writes frames synchronously. A subscription that is not
 * live yet, or whose result is not ready, gets the event through its queue instead.
 * The page waits for these results at most PREPARE_WAIT_MS: a selection served by the
 * preloaded project, subject and previous node is ready within microtasks, one that needs a
 * few more loads within a round trip or two, but one that needs much more (a deep traversal
 * per event, say) would otherwise hold every subscriber of the page, and of every page after
 * it, for its own execution time. Its subscribers get the event through their queues, where
 * graphql-ws awaits the same shared execution (src/graphql/schema/operations.ts), so nothing runs twice.
 */
export async function prepareLive(subscriptions: ReadonlySet<Subscription>, events: readonly StoredEvent[], loaders: Loaders): Promise<void> {
  const byKey = new Map<string, { sink: LiveSink; matcher: Matcher }>();
  for (const { sink, matcher, live } of subscriptions) {
    if (sink && live && !byKey.has(sink.key)) byKey.set(sink.key, { sink, matcher });
  }
  const prepared: Promise<void>[] = [];
  for (const { sink, matcher } of byKey.values()) {
    for (const event of events) if (matcher.matches(event)) prepared.push(sink.prepare(event, loaders));
  }
  if (prepared.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(prepared), new Promise((resolve) => (timer = setTimeout(resolve, PREPARE_WAIT_MS)))]);
  clearTimeout(timer);
}

/**
 * Offers the page to each receiver, all of the page's events at once and in seq order, for at
 * most DISPATCH_SLICE_MS per macrotask. An offer to an idle subscriber with a live sink writes
 * its frames at once (about 1.5 µs per subscriber and event); one that queues starts its
 * delivery through graphql-ws in microtasks that run after the slice (several times the cost),
 * so a slice also ends after DISPATCH_QUEUED subscribers queued. Offering a large page to
 * 1,000 subscribers in one go would hold the event loop for the whole fan-out, while this
 * process's writers and its sequencer step (which holds the events counter's lock until its
 * COMMIT is sent, and every instance's step behind it) wait; slicing by time lets their I/O in.
 * Slicing keeps the seam exact: lastSeen already covers the page, so a subscription that was
 * still replaying when its slice came reads the page from Neo4j (replay runs up to lastSeen),
 * and one that went live before its slice ignores what its replay already covered (offer skips
 * seq <= position); a subscription opened after the snapshot starts at lastSeen, after this page.
 */
export async function dispatchInSlices(events: readonly StoredEvent[], loaders: Loaders, receivers: readonly Subscription[]): Promise<void> {
  let sliceEnd = performance.now() + DISPATCH_SLICE_MS;
  let queuedInSlice = 0;
  for (const subscription of receivers) {
    if (performance.now() >= sliceEnd || queuedInSlice >= DISPATCH_QUEUED) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceEnd = performance.now() + DISPATCH_SLICE_MS;
      queuedInSlice = 0;
    }
    let queued = false;
    for (const event of events) queued = subscription.offer(event, loaders) || queued;
    if (queued) queuedInSlice += 1;
  }
}
