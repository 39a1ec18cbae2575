/**
 * Statements that keep their first plan. Neo4j caches a statement's plan by its text and, when
 * the statistics it was planned with (label counts, index sizes) have drifted, plans it again on
 * its next run (checked at most every 10 s). For the write path that is pure cost: every node its
 * statements read is found through a unique constraint, an index equality on its key or an index
 * the statement names, so no statistics make another plan better, and planning one of them again
 * took 100-600 ms for a single-node write (the checks, the version, its event and audit entry, in
 * subqueries), on whichever request came first after a bulk load or a project's first writes: a
 * hundred writes' worth, in a row of 2-4 ms requests. The event log's tail read and sequencer
 * step plan in about 100 ms each on a cold JVM, and the pending label's count, which swings
 * between none and a few dozen, had the step planned again every 10 s under load, holding back
 * every event meanwhile. `replan=skip` keeps the cached plan; a new process still plans each
 * statement once. test/services/pinned-plans.test.ts explains the pinned statements and checks
 * that their plans find nodes only by index seeks (the sequencer step's bounded scans are
 * measured by test/integration/events/sequencer.test.ts).
 */
export const PINNED = 'CYPHER replan=skip';

/** `query`, whose plan is kept once made (see above); only for statements that find nodes by key. */
export function pinned(query: string): string {
  return `${PINNED} ${query}`;
}
