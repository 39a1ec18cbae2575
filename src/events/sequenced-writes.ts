/**
 * Commit, then sequence: the step of the write path between a unit's commit and its answer.
 *
 * A write unit that appended events (src/events/outbox.ts calls `tx.eventsAppended()`) answers
 * only once this process's sequencer has numbered them (src/events/sequencer.ts), so every
 * reader, on every instance, finds a mutation's events as soon as it answers. The wait comes
 * after the transaction closed and its session went back to the pool, so it holds no
 * connection; a unit that rolled back never waits. `sequence` must not reject: the events are
 * committed, and a later step numbers them even if this one failed.
 */
import { performance } from 'node:perf_hooks';
import type { Executor, QueryObserver, Tx } from '../neo4j/executor.ts';

export function withSequencing(executor: Executor, sequence: () => Promise<void>, observers: readonly QueryObserver[] = []): Executor {
  const sequenced =
    (write: Executor['write']) =>
    async <T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T> => {
      // Set by any attempt (a unit may run again after a transient failure); a needless wait is harmless.
      let appended = false;
      const result = await write(unit, (tx) => work({ unit: tx.unit, run: (query, params) => tx.run(query, params), eventsAppended: () => (appended = true) }));
      if (appended) {
        const waiting = performance.now();
        await sequence();
        for (const observer of observers) observer.onSequenced?.({ unit, ms: performance.now() - waiting });
      }
      return result;
    };
  return {
    read: executor.read,
    readOne: executor.readOne,
    write: sequenced(executor.write),
    writeOne: sequenced(executor.writeOne),
    observed: (observer) => withSequencing(executor.observed(observer), sequence, [...observers, observer]),
  };
}
