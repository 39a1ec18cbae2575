/**
 * Reading the event log for polling clients (`Query.events`) and for subscription replay: the
 * same filter, order and cursors as the live stream.
 */
import type { ReadScope } from '../auth/scope.ts';
import { badInput, notFound } from '../domain/errors.ts';
import type { Executor, Tx } from '../neo4j/executor.ts';
import { eventLogBounds, eventsInRange, lineageNodeProject, upstreamWatch, type StoredEvent } from '../neo4j/queries/events.ts';
import { checkCursor, decodeCursor, encodeCursor } from './cursor.ts';
import { checkFilter, type EventFilterInput, type Matcher } from './filter.ts';

/** How many seqs one query scans at most, so a selective filter never sorts the whole log. */
const SCAN_WINDOW = 10_000;
export const MAX_PAGE = 1_000;

/**
 * Up to `limit` events with `after < seq <= through` that match, in seq order, and the seq up
 * to which the log was examined (the last event's seq when the page filled up).
 */
export async function readMatching(
  tx: Tx,
  args: { after: number; through: number; limit: number; matcher: Pick<Matcher, 'filter' | 'watch'> },
): Promise<{ events: StoredEvent[]; scannedThrough: number }> {
  const events: StoredEvent[] = [];
  let position = args.after;
  while (position < args.through && events.length < args.limit) {
    const windowEnd = Math.min(args.through, position + SCAN_WINDOW);
    const page = await eventsInRange(tx, {
      after: position,
      through: windowEnd,
      limit: args.limit - events.length,
      columns: args.matcher.filter,
      watch: args.matcher.watch,
    });
    events.push(...page);
    position = events.length >= args.limit ? events[events.length - 1]!.seq : windowEnd;
  }
  return { events, scannedThrough: position };
}

export interface EventPage {
  readonly events: StoredEvent[];
  readonly hasNextPage: boolean;
  /** The position to pass as `after` next time: past the last event, or past everything examined. */
  readonly endCursor: string;
}

/**
 * A page of the log for polling. Without `after` it starts at the oldest kept event. The upstream
 * watch is computed once per request. Throws BAD_USER_INPUT, CURSOR_EXPIRED or NOT_FOUND.
 */
export async function listEvents(
  executor: Executor,
  args: { filter?: EventFilterInput | null | undefined; after?: string | null | undefined; first: number },
  scope: ReadScope = { projectIds: null },
): Promise<EventPage> {
  const filter = checkFilter(args.filter, scope);
  const after = args.after === null || args.after === undefined ? null : decodeCursor('after', args.after);
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE) throw badInput('first', `first must be from 1 to ${MAX_PAGE}`);
  return executor.read('events.list', async (tx) => {
    const bounds = await eventLogBounds(tx);
    if (after !== null) checkCursor(after, bounds);
    let watch = null;
    if (filter.upstreamOf !== null) {
      if ((await lineageNodeProject(tx, filter.upstreamOf)) === null) throw notFound('lineage node', filter.upstreamOf, 'filter.upstreamOf');
      watch = await upstreamWatch(tx, filter.upstreamOf);
    }
    const start = after ?? bounds.prunedThrough;
    const { events } = await readMatching(tx, { after: start, through: bounds.head, limit: args.first + 1, matcher: { filter, watch } });
    const hasNextPage = events.length > args.first;
    const page = events.slice(0, args.first);
    const endSeq = hasNextPage ? page[page.length - 1]!.seq : Math.max(start, bounds.head);
    return { events: page, hasNextPage, endCursor: encodeCursor(endSeq) };
  });
}
