/**
 * Commit, then sequence: the step of the write path between a unit's commit and its answer.
 *
 * A write unit that appended events (src/events/outbox.ts) answers only once they have seqs, so
 * every reader, on every instance, finds a mutation's events as soon as it answers. There are
 * two ways there:
 *
 * - **Inline**, when the unit is the only write unit in flight in this process and the caller
 *   gave `sequenced`: the unit numbers its own events in its own transaction, taking the events
 *   counter's lock with its last statement and holding it through its COMMIT
 *   (`tx.sequenceInline()` says yes; appendEvents does the rest). No sequencer step, no second
 *   commit and no wait: a lone writer pays one transaction, as a hand-written one would.
 *   `sequenced(head)` tells the dispatcher after the commit.
 * - **Pending**, otherwise: the events are committed without seqs and the unit waits for this
 *   process's sequencer to number them (src/events/sequencer.ts), one step shared by every
 *   writer that committed meanwhile, so concurrent writers never queue on the counter's lock for
 *   their commits. The wait comes after the transaction closed and its session went back to the
 *   pool, so it holds no connection. `sequence` must not reject: the events are committed, and
 *   a later step numbers them even if this one failed.
 *
 * Both number under the same lock, one holder after another, so a seq once visible is above
 * every seq visible before it whichever way each unit went. A unit that rolled back never waits.
 */
import { performance } from 'node:perf_hooks';
import type { Executor, QueryObserver, Tx } from '../neo4j/executor.ts';

export interface SequencingOptions {
  /** Called after a unit that numbered its own events committed, with the last seq it took; without it, units never go inline. */
  readonly sequenced?: (head: number) => void;
  readonly observers?: readonly QueryObserver[];
}

export function withSequencing(executor: Executor, sequence: () => Promise<void>, options: SequencingOptions = {}): Executor {
  // Write units of this process between start and answer, across every observed() copy.
  const state = { inFlight: 0 };
  return wrap(executor, sequence, options, state);
}

function wrap(executor: Executor, sequence: () => Promise<void>, options: SequencingOptions, state: { inFlight: number }): Executor {
  const { sequenced, observers = [] } = options;
  const withSequence =
    (write: Executor['write']) =>
    async <T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T> => {
      let appended = false;
      let head: number | null = null;
      state.inFlight += 1;
      let result: T;
      try {
        result = await write(unit, (tx) => {
          // What the attempt that commits did is what counts: a unit may run again after a transient failure.
          appended = false;
          head = null;
          return work({
            unit: tx.unit,
            run: (query, params) => tx.run(query, params),
            eventsAppended: () => (appended = true),
            sequenceInline: () => sequenced !== undefined && state.inFlight === 1,
            eventsSequenced: (last) => (head = last),
          });
        });
      } finally {
        state.inFlight -= 1;
      }
      if (head !== null) sequenced!(head);
      else if (appended) {
        const waiting = performance.now();
        await sequence();
        for (const observer of observers) observer.onSequenced?.({ unit, ms: performance.now() - waiting });
      }
      return result;
    };
  return {
    read: executor.read,
    readOne: executor.readOne,
    write: withSequence(executor.write),
    writeOne: withSequence(executor.writeOne),
    observed: (observer) => wrap(executor.observed(observer), sequence, { ...options, observers: [...observers, observer] }, state),
  };
}
