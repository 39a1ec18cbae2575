/**
 * The event dispatcher of one gateway process (docs/architecture.md). It tails the event log in Neo4j
 * (seq > lastSeen, in pages), is woken at once when this process's sequencer numbered events
 * and polls every `pollMs`, and hands each event to the matching subscribers. Each poll first
 * runs a sequencer step (src/events/sequencer.ts), so events pending from any instance, even
 * one that died right after its commit, get their seqs within a poll. It keeps no state that
 * Neo4j does not have: a restarted process resumes from the log's head, and clients resume
 * from their cursors.
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
import { createLoaders } from '../loaders/index.ts';
import type { Executor } from '../neo4j/executor.ts';
import { eventLogBounds, eventsInRange, type StoredEvent } from '../neo4j/queries/events.ts';
import { ALL_PROJECTS, createDispatchState } from './dispatch-state.ts';
import type { EventFilter } from './filter.ts';
import { dispatchInSlices, preload, prepareLive } from './live.ts';
import { createReplay } from './replay.ts';
import { createPruner, expireBefore } from './retention.ts';
import { INTERNAL_EVENT_KINDS } from '../domain/event-kinds.ts';
import { createSequencer } from './sequencer.ts';
import type { Delivery } from './subscription.ts';
import { refreshWatches } from './watches.ts';

export interface DispatcherConfig {
  /** How often to look for other instances' events and number pending ones, in ms. */
  readonly pollMs: number;
  /** Events read per query, for tailing and for replay. */
  readonly pageSize: number;
  /** Undelivered live events a subscriber may have before its subscription ends. */
  readonly queueSize: number;
  /** Events older than this are pruned, in ms. */
  readonly retentionMs: number;
  /** How often to prune, in ms; 0 turns pruning off in this process. */
  readonly pruneIntervalMs: number;
}

export interface Dispatcher {
  /** Reads the log's head and starts tailing from it; call once Neo4j is migrated. */
  start(): Promise<void>;
  /** Wakes the tail loop at once (events got seqs). Cheap; calls coalesce. */
  wake(): void;
  /**
   * Numbers the pending events, coalesced with other callers (src/events/sequencer.ts);
   * resolves once those committed before the call have seqs. Never rejects: on failure it logs,
   * and the next poll numbers them. The executor awaits it after a unit that appended events.
   */
  sequence(): Promise<void>;
  /**
   * Opens a subscription: replays events after `after` (a seq) then continues live; without
   * `after`, starts at this dispatcher's current position. Throws CURSOR_EXPIRED,
   * BAD_USER_INPUT (cursor ahead of the log), NOT_FOUND (upstreamOf) or UNAVAILABLE (not
   * started yet) before streaming.
   */
  subscribe(filter: EventFilter, after: number | null): Promise<AsyncIterableIterator<Delivery>>;
  /** Stops tailing and pruning and ends every subscription; resolves when the loop is idle. */
  stop(): Promise<void>;
}

const HOLE_GRACE_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;
/** Read from the tail for refreshWatches, never offered to a subscriber (src/domain/event-kinds.ts). */
const INTERNAL: ReadonlySet<string> = new Set(INTERNAL_EVENT_KINDS);

export function createDispatcher(options: { executor: Executor; logger: Logger; config: DispatcherConfig }): Dispatcher {
  const { executor, config } = options;
  const logger = options.logger.child({ component: 'events' });
  const state = createDispatchState();
  const { subscriptions } = state;
  let holeSince: number | undefined;
  let wakeRequested = false;
  let wakeSleeper: (() => void) | null = null;
  let loop: Promise<void> | undefined;
  let nextPollSequence = 0;
  /** The highest seq this process's own sequencer steps committed (0 before the first). */
  let sequencedHead = 0;
  const pruner = createPruner({ executor, logger, state, retentionMs: config.retentionMs, intervalMs: config.pruneIntervalMs });
  const replay = createReplay({ executor, logger, state, pageSize: config.pageSize, queueSize: config.queueSize });
  const sequencer = createSequencer({
    executor,
    logger,
    onSequenced: (head) => {
      if (head > sequencedHead) sequencedHead = head;
      wake();
    },
  });

  function wake(): void {
    wakeRequested = true;
    wakeSleeper?.();
  }

  function sleep(ms: number): Promise<void> {
    if (wakeRequested || state.stopped) {
      wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeSleeper = null;
        wakeRequested = false;
        resolve();
      }
      wakeSleeper = done;
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!state.stopped) {
      let more = false;
      try {
        // On a poll (not on every wake-up: a local step just ran then) number what is pending
        // anywhere. Time-based, so a steady stream of wake-ups does not postpone it.
        if (Date.now() >= nextPollSequence) {
          nextPollSequence = Date.now() + config.pollMs;
          await sequencer.run();
          wakeRequested = false; // the wake-up of that step: the tail below reads what it numbered
        }
        more = await tailOnce();
        if (failures > 0) logger.info({ lastSeen: state.lastSeen }, 'event dispatcher reconnected');
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1) logger.warn({ err: error }, 'event dispatcher cannot read the log; retrying');
      }
      if (more && !state.stopped) continue;
      await sleep(failures > 0 ? Math.min(MAX_BACKOFF_MS, config.pollMs * 2 ** failures) : config.pollMs);
    }
  }

  /** Reads and dispatches one page; true when more may be waiting. */
  async function tailOnce(): Promise<boolean> {
    if (subscriptions.size === 0) {
      // Nobody to deliver to: move to the log's head without reading events. The counter's
      // committed value is only ever the last seq of a committed sequencer step, so nothing
      // at or below it is still to come. A subscription that arrived meanwhile keeps the normal
      // path (it replays up to lastSeen, whatever lastSeen becomes).
      // After a local step its head is known without a read; otherwise (a poll, other
      // instances' steps) read the counter.
      const head = sequencedHead > state.lastSeen! ? sequencedHead : (await executor.readOne('events.head', eventLogBounds)).head;
      if (subscriptions.size === 0) {
        if (head > state.lastSeen!) state.lastSeen = head;
        holeSince = undefined;
        return false;
      }
    }
    const from = state.lastSeen!;
    const rows = await executor.readOne('events.tail', (tx) =>
      eventsInRange(tx, { after: from, through: from + config.pageSize, limit: config.pageSize, internal: true }),
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
    // Load what every delivery of these events reads (project, subject, previous) into the page's
    // shared loaders first: if Neo4j is not back yet this throws, lastSeen stays, and the page
    // is read again after the back-off, instead of reaching subscribers with UNAVAILABLE fields.
    const loaders = createLoaders(executor, ALL_PROJECTS);
    await preload(loaders, deliverable);
    await prepareLive(subscriptions, deliverable, loaders);
    if (state.stopped) return false;
    // Advance lastSeen and take the list of receivers in one synchronous step, then offer the
    // page to them in time slices, letting I/O in between (see dispatchInSlices).
    state.lastSeen = accepted[accepted.length - 1]!.seq;
    if (deliverable.length > 0) await dispatchInSlices(deliverable, loaders, [...subscriptions]);
    return rows.length === config.pageSize;
  }

  return {
    async start() {
      if (loop) return;
      state.lastSeen = (await executor.readOne('events.head', eventLogBounds)).head;
      logger.debug({ head: state.lastSeen }, 'event dispatcher started');
      if (state.stopped) return;
      loop = run();
      pruner.start();
    },
    wake,
    sequence: () => sequencer.settle(),
    subscribe: replay.subscribe,
    async stop() {
      state.stopped = true;
      const pruned = pruner.stop();
      wakeSleeper?.();
      await loop;
      await pruned;
      for (const subscription of [...subscriptions]) subscription.end();
    },
  };
}

/** The leading events whose seqs follow `from` without a hole. */
function contiguous(from: number, rows: readonly StoredEvent[]): StoredEvent[] {
  let count = 0;
  while (count < rows.length && rows[count]!.seq === from + count + 1) count += 1;
  return rows.slice(0, count);
}
