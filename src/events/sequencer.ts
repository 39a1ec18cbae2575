/**
 * The event sequencer (docs/architecture.md): numbers the events writers appended without a seq.
 *
 * Writers append `:Event:Unsequenced` nodes in their own transaction and take no shared lock,
 * so they commit in parallel (src/events/outbox.ts). A sequencer step is one short write
 * transaction that takes the events counter's lock, numbers every pending event (a bounded
 * batch at a time) in (occurredAt, id) order after the counter's value, and moves the counter
 * (sequencePending in src/neo4j/queries/events.ts). Only steps assign seqs, one after another
 * under that lock, so a seq once visible is greater than every seq visible before it: what
 * readers rely on ("a reader that has seen seq = n will never later find a smaller one") holds.
 * What changed is that seq order is sequencing order, not commit order: two writers that commit
 * close together may get their seqs in either order.
 *
 * A step is one statement, its own auto-commit transaction (sequencePending says why that is safe).
 *
 * Every gateway runs steps: after a local unit that appended events commits (the unit waits
 * for `settle`, src/events/sequenced-writes.ts, so a mutation answers only once its events have seqs) and on every poll
 * of its dispatcher, which sequences whatever is pending, from any instance, so an event whose
 * writer died between its commit and its step waits at most one poll. Calls coalesce: while a
 * step runs, every caller waits for the one next step, which covers all of their events, so
 * under load one sequencer transaction numbers many writers' events.
 *
 * Within one mutation, events keep the order they were appended in: they share an occurredAt
 * and get ascending ids (appendEvents). Neo4j reads being read-committed, a step that overlaps
 * a writer's commit could in principle match only part of that writer's events; the rest get
 * the next seqs in a later step. Nothing is lost or numbered twice either way (a pending event
 * keeps its label until the step that numbers it commits).
 */
import type { Logger } from 'pino';
import type { Executor } from '../neo4j/executor.ts';
import { sequencePending } from '../neo4j/queries/events.ts';

/**
 * Pending events numbered per transaction; a longer backlog takes several steps. Large enough
 * for the events of a whole `recordLineage` call (up to 8,000 elements): each step costs a
 * commit, and numbering a 9,000-event batch in steps of 1,000 took about twice as long as in one.
 */
export const SEQUENCE_BATCH = 10_000;

export interface Sequencer {
  /**
   * Resolves once a step that started after this call has finished, numbering every event
   * committed before the call (and anything else pending). Rejects when Neo4j failed.
   */
  run(): Promise<void>;
  /** `run`, but a failure is logged, not thrown: the events are committed and a poll numbers them. */
  settle(): Promise<void>;
}

/** `onSequenced(head)`: a step committed; `head` is the counter's value it left (its last seq). */
export function createSequencer(options: { executor: Executor; logger: Logger; onSequenced: (head: number) => void; batch?: number }): Sequencer {
  const { executor, logger, onSequenced } = options;
  const batch = options.batch ?? SEQUENCE_BATCH;
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  /** Steps until fewer than a batch were pending; wakes the dispatcher when anything got a seq. */
  async function drain(): Promise<void> {
    for (;;) {
      const { sequenced, head } = await executor.writeOne('events.sequence', (tx) => sequencePending(tx, batch));
      if (head !== null && sequenced > 0) onSequenced(head);
      if (sequenced < batch) return;
    }
  }

  function run(): Promise<void> {
    if (!running) {
      running = drain().finally(() => (running = null));
      return running;
    }
    // A step is under way and may have matched its events before ours committed: wait for the
    // next one, shared by every caller that arrives meanwhile.
    next ??= running
      .catch(() => {})
      .then(() => {
        next = null;
        return run();
      });
    return next;
  }

  return {
    run,
    async settle() {
      try {
        await run();
      } catch (error) {
        logger.warn({ err: error }, 'could not sequence events; the next poll will');
      }
    },
  };
}
