/**
 * Statements that keep their first plan. Neo4j caches a statement's plan by its text and, when
 * the statistics it was planned with (label counts, index sizes) have drifted, plans it again on
 * its next run (checked at most every 10 s). For the single-node writes that is pure cost: every
 * node they read is found through a unique constraint or an index equality on its key, so no
 * statistics make another plan better, and planning one of their statements again (the checks,
 * the version, its event and audit entry, in subqueries) took 100-600 ms, on whichever request
 * came first after a bulk load or a project's first writes: a hundred writes' worth, in a row of
 * 2-4 ms requests. `replan=skip` keeps the cached plan; a new process still plans each statement
 * once. test/services/pinned-plans.test.ts explains every statement of those writes and checks
 * that each is pinned and that its plan finds nodes only by index seeks.
 */
export const PINNED = 'CYPHER replan=skip';

/** `query`, whose plan is kept once made (see above); only for statements that find nodes by key. */
export function pinned(query: string): string {
  return `${PINNED} ${query}`;
}
