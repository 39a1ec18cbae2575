/**
 * Retention of the event log: every instance deletes events older than `retentionMs`, in
 * batches, every `intervalMs` (deleting what another instance already deleted is a no-op, so
 * instances need no coordination); and the tail, when it falls behind that pruning, expires the
 * subscriptions that would miss the pruned events (expireBefore).
 */
import type { Logger } from 'pino';
import type { Executor } from '../neo4j/executor.ts';
import { pruneEventsBefore } from '../neo4j/queries/events.ts';
import { cursorExpired } from './cursor.ts';
import type { DispatchState } from './dispatch-state.ts';

const PRUNE_BATCH = 10_000;

export interface Pruner {
  /** Prunes every interval from now on; does nothing when the interval is 0 or it already started. */
  start(): void;
  /** Stops the interval; resolves when a pruning under way has finished. */
  stop(): Promise<void>;
}

export function createPruner(options: { executor: Executor; logger: Logger; state: DispatchState; retentionMs: number; intervalMs: number }): Pruner {
  const { executor, logger, state } = options;
  let timer: NodeJS.Timeout | undefined;
  let pruning: Promise<void> | undefined;

  async function prune(): Promise<void> {
    const cutoffMs = Date.now() - options.retentionMs;
    let total = 0;
    for (;;) {
      const deleted = await executor.write('events.prune', (tx) => pruneEventsBefore(tx, cutoffMs, PRUNE_BATCH));
      total += deleted;
      if (deleted < PRUNE_BATCH || state.stopped) break;
    }
    if (total > 0) logger.info({ deleted: total }, 'pruned old events');
  }

  return {
    start() {
      if (options.intervalMs > 0 && !timer) {
        timer = setInterval(() => {
          pruning ??= prune()
            .catch((error: unknown) => logger.warn({ err: error }, 'event pruning failed; retrying at the next interval'))
            .finally(() => (pruning = undefined));
        }, options.intervalMs);
        timer.unref();
      }
    },
    async stop() {
      clearInterval(timer);
      await pruning;
    },
  };
}

/**
 * The tail fell behind retention: events after lastSeen up to `prunedThrough` are gone, so a
 * subscription at a position before them would miss them. Each ends with CURSOR_EXPIRED (what
 * replay answers for such a position) rather than skipping events silently, and the tail
 * moves past the pruned range, so subscriptions opened from now on start after it.
 */
export function expireBefore(state: DispatchState, logger: Logger, prunedThrough: number): void {
  logger.warn({ lastSeen: state.lastSeen, prunedThrough }, 'the event dispatcher fell behind retention pruning; expiring the subscriptions before it');
  state.lastSeen = prunedThrough;
  for (const subscription of [...state.subscriptions]) {
    if (subscription.position < prunedThrough) subscription.end(cursorExpired(subscription.position));
  }
}
