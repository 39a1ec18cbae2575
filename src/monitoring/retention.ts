/**
 * Serving-window retention: windows that ended longer than `retentionMs` ago are deleted, in
 * batches, every `intervalMs`, by every gateway instance, the way the event dispatcher prunes
 * events (deleting an already deleted window is a no-op, so instances need no coordination).
 */
import type { Logger } from 'pino';
import type { Executor } from '../neo4j/executor.ts';
import { pruneWindowsBefore } from '../neo4j/queries/monitoring.ts';

const PRUNE_BATCH = 10_000;

export interface WindowRetentionConfig {
  /** Windows whose end is older than this are pruned, in ms. */
  readonly retentionMs: number;
  /** How often to prune, in ms; 0 turns pruning off in this process. */
  readonly pruneIntervalMs: number;
}

export interface WindowPruner {
  /** Deletes every window that ended before now - retentionMs; resolves with how many. */
  prune(): Promise<number>;
  /** Starts the interval (nothing when it is 0). */
  start(): void;
  /** Stops the interval; resolves when a running prune has finished. */
  stop(): Promise<void>;
}

export function createWindowPruner(options: { executor: Executor; logger: Logger; config: WindowRetentionConfig }): WindowPruner {
  const { executor, config } = options;
  const logger = options.logger.child({ component: 'monitoring' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function prune(): Promise<number> {
    const cutoffMs = Date.now() - config.retentionMs;
    let total = 0;
    for (;;) {
      const deleted = await executor.write('monitoring.prune', (tx) => pruneWindowsBefore(tx, cutoffMs, PRUNE_BATCH));
      total += deleted;
      if (deleted < PRUNE_BATCH || stopped) break;
    }
    if (total > 0) logger.info({ deleted: total }, 'pruned old serving windows');
    return total;
  }

  return {
    prune,
    start() {
      if (config.pruneIntervalMs <= 0 || timer) return;
      timer = setInterval(() => {
        running ??= prune()
          .catch((error: unknown) => {
            logger.warn({ err: error }, 'serving-window pruning failed; retrying at the next interval');
            return 0;
          })
          .finally(() => (running = undefined));
      }, config.pruneIntervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
