/**
 * The event dispatcher of one gateway process (docs/architecture.md). It tails the event log in Neo4j
 * (seq > lastSeen, in pages), is woken at once when this process's sequencer numbered events
 * and polls every `pollMs`, and hands each event to the matching subscribers. Each poll first
 * runs a sequencer step (src/events/sequencer.ts), so events pending from any instance, even
 * one that died right after its commit, get their seqs within a poll. It keeps no state that
 * Neo4j does not have: a restarted process resumes from the log's head, and clients resume
 * from their cursors.
 *
 * This file is the engine: the loop (wake-ups, polls, back-off), start and stop. Its parts, each
 * owning its own state and sharing only src/events/dispatch-state.ts (the subscriptions,
 * lastSeen, stopped): the tail (src/events/tail.ts: contiguity, holes, one page per turn),
 * preparing and offering live pages (src/events/live.ts), the upstreamOf watches
 * (src/events/watches.ts), subscribe and replay (src/events/replay.ts) and retention
 * (src/events/retention.ts).
 */
import type { Logger } from 'pino';
import type { Executor } from '../neo4j/executor.ts';
import { eventLogBounds } from '../neo4j/queries/events.ts';
import { createDispatchState } from './dispatch-state.ts';
import type { EventFilter } from './filter.ts';
import { createReplay } from './replay.ts';
import { createPruner } from './retention.ts';
import { createSequencer } from './sequencer.ts';
import type { Delivery } from './subscription.ts';
import { createTail } from './tail.ts';

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
  /** A local unit numbered its own events and committed; `head` is its last seq. Wakes the tail loop. */
  sequenced(head: number): void;
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

const MAX_BACKOFF_MS = 5_000;

export function createDispatcher(options: { executor: Executor; logger: Logger; config: DispatcherConfig }): Dispatcher {
  const { executor, config } = options;
  const logger = options.logger.child({ component: 'events' });
  const state = createDispatchState();
  let wakeRequested = false;
  let wakeSleeper: (() => void) | null = null;
  let loop: Promise<void> | undefined;
  let nextPollSequence = 0;
  const tail = createTail({ executor, logger, state, pageSize: config.pageSize });
  const pruner = createPruner({ executor, logger, state, retentionMs: config.retentionMs, intervalMs: config.pruneIntervalMs });
  const replay = createReplay({ executor, logger, state, pageSize: config.pageSize, queueSize: config.queueSize });
  const sequencer = createSequencer({
    executor,
    logger,
    onSequenced: sequenced,
  });

  /** A local sequencer step or inline unit committed seqs through `head`. */
  function sequenced(head: number): void {
    tail.sequenced(head);
    wake();
  }

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
        more = await tail.once();
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
    sequenced,
    subscribe: replay.subscribe,
    async stop() {
      state.stopped = true;
      const pruned = pruner.stop();
      wakeSleeper?.();
      await loop;
      await pruned;
      for (const subscription of [...state.subscriptions]) subscription.end();
    },
  };
}
