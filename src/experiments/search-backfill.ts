/**
 * Start-up backfill for run search: runs written before V005 (or before the current
 * SEARCH_VERSION) get their flattened params, in pages of BATCH runs, one transaction each.
 * Cypher cannot parse the stored JSON, so this runs in the gateway, not in a .cypher migration.
 *
 * Like a migration it runs once per SEARCH_VERSION: when it finishes it records
 * (:PedigreeBackfill {name: 'runSearch', version}), and later start-ups read that one node
 * instead of scanning every run (a store of a million runs would otherwise be scanned on
 * every start). Idempotent and safe when two gateways run it together (both write the same
 * values, and the marker is MERGEd on a unique name).
 */
import type { Executor } from '../neo4j/executor.ts';
import { backfillVersion, recordBackfill, runsWithoutSearchProps, setSearchProps } from '../neo4j/queries/run-search.ts';
import { SEARCH_VERSION, searchProperties } from '../domain/search-params.ts';

const BATCH = 1000;
const NAME = 'runSearch';

/** Returns how many runs it updated (0 without scanning when the marker is current). */
export async function backfillRunSearch(executor: Executor): Promise<number> {
  const done = await executor.readOne('runs.searchBackfillVersion', (tx) => backfillVersion(tx, NAME));
  if (done !== null && done >= SEARCH_VERSION) return 0;
  let total = 0;
  for (;;) {
    const updated = await executor.write('runs.searchBackfill', async (tx) => {
      const rows = await runsWithoutSearchProps(tx, SEARCH_VERSION, BATCH);
      await setSearchProps(tx, rows.map((row) => ({ id: row.id, props: searchProperties(row.paramsJson) })));
      return rows.length;
    });
    total += updated;
    if (updated < BATCH) break;
  }
  await executor.write('runs.searchBackfillDone', (tx) => recordBackfill(tx, NAME, SEARCH_VERSION));
  return total;
}
