/**
 * The dispatcher's tail (src/events/dispatcher.ts runs it, one page per loop turn): reads the
 * log after lastSeen, advances lastSeen over what it may hand on, and offers it live.
 *
 * What a reader can see: writers append events without a seq; only sequencer steps assign
 * seqs, each in one transaction holding the `events` counter's lock, so steps commit one after
 * another in seq order and a seq, once visible, is above every seq visible before it (seq
 * order is sequencing order, not commit order). A rolled-back step rolls back its seqs and
 * its counter move together, so seqs have no permanent holes. Neo4j reads are read-committed,
 * not snapshots, though: one index scan that overlaps two steps' commits can in principle miss
 * seq n (not committed when the scan passed it) yet see n+1 (committed before the scan got
 * there). So the dispatcher only advances over a contiguous run of seqs and re-reads from the
 * first hole; a hole that persists past HOLE_GRACE_MS (an event deleted by hand) is skipped
 * with a warning rather than stalling every subscriber. A hole or an empty page that retention
 * pruning made (the log's `prunedThrough` is past lastSeen) is not skipped: the subscriptions
 * before it end with CURSOR_EXPIRED and the tail moves past it (expireBefore).
 */
import type { Logger } from 'pino';
import { INTERNAL_EVENT_KINDS } from '../domain/event-kinds.ts';
import { createLoaders } from '../loaders/index.ts';
import type { Executor } from '../neo4j/executor.ts';
import { eventLogBounds, eventsInRangeWithRows, type StoredEvent } from '../neo4j/queries/events.ts';
import { ALL_PROJECTS, type DispatchState } from './dispatch-state.ts';
import { dispatchInSlices, preload, prepareLive, primeRows } from './live.ts';
import { expireBefore } from './retention.ts';
import { refreshWatches } from './watches.ts';

const HOLE_GRACE_MS = 5_000;

/** Read from the tail for refreshWatches, never offered to a subscriber (src/domain/event-kinds.ts). */
const INTERNAL: ReadonlySet<string> = new Set(INTERNAL_EVENT_KINDS);

export interface Tail {
  /** Notes the head of a step this process's sequencer committed, so an idle tail moves there without a read. */
  sequenced(head: number): void;
  /** Reads and dispatches one page; true when more may be waiting. Throws when Neo4j cannot be read. */
  once(): Promise<boolean>;
}

export function createTail(options: { executor: Executor; logger: Logger; state: DispatchState; pageSize: number }): Tail {
  const { executor, logger, state } = options;
  const { subscriptions } = state;
  /** Since when the tail has waited for the hole after lastSeen to fill (undefined: no hole). */
  let holeSince: number | undefined;
  /** The highest seq this process's own sequencer steps and inline units committed (0 before the first). */
  let sequencedHead = 0;

  function sequenced(head: number): void {
    if (head > sequencedHead) sequencedHead = head;
  }

  async function once(): Promise<boolean> {
    if (subscriptions.size === 0) {
      // Nobody to deliver to: move to the log's head without reading events. The counter's
      // committed value is only ever the last seq of a committed sequencer step or inline unit
      // (each numbers under its lock and commits before releasing it), so nothing at or below
      // it is still to come. A subscription that arrived meanwhile keeps the normal
      // path (it replays up to lastSeen, whatever lastSeen becomes).
      // After a local step or inline unit its head is known without a read; otherwise (a poll, other
      // instances' steps) read the counter.
      const head = sequencedHead > state.lastSeen! ? sequencedHead : (await executor.readOne('events.head', eventLogBounds)).head;
      if (subscriptions.size === 0) {
        if (head > state.lastSeen!) state.lastSeen = head;
        holeSince = undefined;
        return false;
      }
    }
    const from = state.lastSeen!;
    const { events: rows, rows: pageRows } = await executor.readOne('events.tail', (tx) =>
      eventsInRangeWithRows(tx, { after: from, through: from + options.pageSize, limit: options.pageSize, internal: true }),
    );
    let accepted = contiguous(from, rows);
    if (accepted.length < rows.length || rows.length === 0) {
      // A hole right after lastSeen, or nothing after it: either caught up, a transient hole,
      // or the tail fell behind retention pruning. Only the log's bounds tell them apart.
      const { prunedThrough } = await executor.readOne('events.bounds', eventLogBounds);
      if (prunedThrough > from) {
        expireBefore(state, logger, prunedThrough);
        holeSince = undefined;
        return true;
      }
    }
    if (accepted.length < rows.length) {
      holeSince ??= Date.now();
      if (Date.now() - holeSince < HOLE_GRACE_MS) {
        if (accepted.length === 0) return false;
      } else {
        logger.warn({ missingSeq: from + accepted.length + 1 }, 'event log has a hole that did not fill; skipping it');
        accepted = rows;
        holeSince = undefined;
      }
    } else {
      holeSince = undefined;
    }
    if (accepted.length === 0) return false;
    await refreshWatches(executor, subscriptions, accepted);
    if (state.stopped) return false;
    const deliverable = accepted.filter((e) => !INTERNAL.has(e.kind));
    // What every delivery of these events reads (project, subject, previous) goes into the page's
    // shared loaders first: the tail read returned it (primeRows), and preload loads anything
    // else. If Neo4j is not back yet this throws, lastSeen stays, and the page is read again
    // after the back-off, instead of reaching subscribers with UNAVAILABLE fields.
    const loaders = createLoaders(executor, ALL_PROJECTS);
    primeRows(loaders, deliverable, pageRows);
    await preload(loaders, deliverable);
    await prepareLive(subscriptions, deliverable, loaders);
    if (state.stopped) return false;
    // Advance lastSeen and take the list of receivers in one synchronous step, then offer the
    // page to them in time slices, letting I/O in between (see dispatchInSlices).
    state.lastSeen = accepted[accepted.length - 1]!.seq;
    if (deliverable.length > 0) await dispatchInSlices(deliverable, loaders, [...subscriptions]);
    return rows.length === options.pageSize;
  }

  return { sequenced, once };
}

/** The leading events whose seqs follow `from` without a hole. */
function contiguous(from: number, rows: readonly StoredEvent[]): StoredEvent[] {
  let count = 0;
  while (count < rows.length && rows[count]!.seq === from + count + 1) count += 1;
  return rows.slice(0, count);
}
