/**
 * Commit, then sequence: the step of the write path between a unit's commit and its answer.
 *
 * A write unit that appended events (src/events/outbox.ts) answers only once they have seqs, so
 * every reader, on every instance, finds a mutation's events as soon as it answers. There are
 * two ways there:
 *
 * - **Inline**: the unit numbers its own events in its own transaction, taking the events
 *   counter's lock with its last statement and holding it through its COMMIT
 *   (`tx.sequenceInline()` says yes; appendEvents does the rest). No sequencer step, no second
 *   commit and no wait. `sequenced(head)` tells the dispatcher after the commit. Only when the
 *   caller gave `sequenced`, and then:
 *   - a transaction (`write`) only when it is the only write unit in flight in this process and
 *     the process is calm (`calm()`, below): it holds the lock across one turn of this event loop;
 *   - an auto-commit statement (`writeOne`) when it is alone in flight, and beside others while
 *     few are in flight in this process and few started lately (AUTO_COMMIT_INLINE_MAX, below):
 *     it holds the lock only inside Neo4j, through its own COMMIT, so the writers behind it wait
 *     for a commit or two, less than a sequencer step and its wait. With more the lock would
 *     make their commits one after another instead of together: 16 concurrent
 *     `registerDatasetVersion` callers, every unit inline, committed 0.69x as many mutations a
 *     second as on the pending path.
 * - **Pending**, otherwise: the events are committed without seqs and the unit waits for this
 *   process's sequencer to number them (src/events/sequencer.ts), one step shared by every
 *   writer that committed meanwhile, so concurrent writers never queue on the counter's lock for
 *   their commits. The wait comes after the transaction closed and its session went back to the
 *   pool, so it holds no connection. `sequence` must not reject: the events are committed, and
 *   a later step numbers them even if this one failed.
 *
 * Both number under the same lock, one holder after another, so a seq once visible is above
 * every seq visible before it whichever way each unit went. A unit that rolled back never waits.
 *
 * Why calm: between the inline statement's answer and the COMMIT lies one turn of this
 * process's event loop (the driver sends COMMIT only after every result of the transaction
 * arrived), and the counter's lock is held through it. A sequencer step holds it only inside
 * Neo4j (one auto-commit statement). On a busy process, delivering live frames to a thousand
 * subscribers say, that turn can last many milliseconds, and every other writer of every
 * instance queues behind it; the fan-out bench showed commit-to-client medians up to three
 * times worse. So a busy process takes the pending path, whose one shared step is also the
 * cheaper way under load.
 */
import { performance } from 'node:perf_hooks';
import type { Executor, QueryObserver, Tx } from '../neo4j/executor.ts';

/**
 * When an auto-commit unit beside others numbers its own events: with at most
 * AUTO_COMMIT_INLINE_MAX write units in flight in this process (the unit itself included), and
 * fewer than AUTO_COMMIT_INLINE_STARTS started in the last INLINE_WINDOW_MS to 2 *
 * INLINE_WINDOW_MS (about 200 a second). Each inline unit holds the counter's lock through one
 * COMMIT, a millisecond or two: at a few hundred a second beside each other, the lock would be
 * busy most of the time. The second bound matters for a saturated closed loop, whose units answer
 * in bursts (a sequencer step answers all its waiters at once): the few that start right after a
 * burst would find few in flight, go inline and hold the lock the next step needs. A unit alone
 * in flight has nobody in this process to queue behind it and goes inline at any rate (a
 * sequential writer makes several hundred a second).
 */
export const AUTO_COMMIT_INLINE_MAX = 4;
export const AUTO_COMMIT_INLINE_STARTS = 30;
const INLINE_WINDOW_MS = 100;

export interface SequencingOptions {
  /** Called after a unit that numbered its own events committed, with the last seq it took; without it, units never go inline. */
  readonly sequenced?: (head: number) => void;
  /** Whether the process may hold the counter's lock through a turn of its event loop (default: always; the gateway passes eventLoopCalm()). */
  readonly calm?: () => boolean;
  readonly observers?: readonly QueryObserver[];
}

export function withSequencing(executor: Executor, sequence: () => Promise<void>, options: SequencingOptions = {}): Executor {
  // Write units of this process between start and answer, across every observed() copy.
  const state: UnitState = { inFlight: 0, started: windowCounter(INLINE_WINDOW_MS) };
  return wrap(executor, sequence, options, state);
}

interface UnitState {
  inFlight: number;
  readonly started: WindowCounter;
}

function wrap(executor: Executor, sequence: () => Promise<void>, options: SequencingOptions, state: UnitState): Executor {
  const { sequenced, calm = () => true, observers = [] } = options;
  // An auto-commit unit (writeOne) commits inside Neo4j before it answers, so it holds the
  // counter's lock through no turn of this event loop: it may go inline on a busy process, and
  // beside a few other units.
  const withSequence =
    (write: Executor['write'], autoCommit: boolean) =>
    async <T>(unit: string, work: (tx: Tx) => Promise<T>): Promise<T> => {
      let appended = false;
      let head: number | null = null;
      state.inFlight += 1;
      state.started.add();
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
            sequenceInline: () =>
              sequenced !== undefined &&
              (state.inFlight === 1
                ? autoCommit || calm()
                : autoCommit && state.inFlight <= AUTO_COMMIT_INLINE_MAX && state.started.count() < AUTO_COMMIT_INLINE_STARTS),
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
    write: withSequence(executor.write, false),
    writeOne: withSequence(executor.writeOne, true),
    observed: (observer) => wrap(executor.observed(observer), sequence, { ...options, observers: [...observers, observer] }, state),
  };
}

export interface WindowCounter {
  add(): void;
  /** What was added over the last one to two windows. */
  count(): number;
}

/**
 * Counts additions in two fixed buckets of `windowMs`, the current and the one before: cheap, and
 * close enough for a threshold. `clock` is for tests.
 */
export function windowCounter(windowMs: number, clock: () => number = () => performance.now()): WindowCounter {
  let bucketStart = clock();
  let current = 0;
  let previous = 0;
  function roll(): void {
    const now = clock();
    const elapsed = now - bucketStart;
    if (elapsed < windowMs) return;
    previous = elapsed < 2 * windowMs ? current : 0;
    current = 0;
    bucketStart = now - (elapsed % windowMs);
  }
  return {
    add() {
      roll();
      current += 1;
    },
    count() {
      roll();
      return previous + current;
    },
  };
}

/**
 * A gauge of this process's event loop for `calm`: true while the loop was busy less than
 * `threshold` of the time (event loop utilization) over the last window of at least `windowMs`.
 * It samples on call, so an idle process costs nothing; after a long quiet spell the window is
 * that spell, and the answer is calm.
 */
export function eventLoopCalm(options: { threshold?: number; windowMs?: number } = {}): () => boolean {
  const { threshold = 0.5, windowMs = 100 } = options;
  let since = performance.eventLoopUtilization();
  let calm = true;
  return () => {
    const now = performance.eventLoopUtilization();
    const window = performance.eventLoopUtilization(now, since);
    if (window.idle + window.active >= windowMs) {
      calm = window.utilization < threshold;
      since = now;
    }
    return calm;
  };
}
