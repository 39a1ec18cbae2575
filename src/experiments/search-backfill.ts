/**
 * Start-up backfill for run search: runs written before V005 (or before the current
 * SEARCH_VERSION) get their flattened params, in pages of BATCH runs, one transaction each.
 * Cypher cannot parse the stored JSON, so this runs in the gateway, not in a .cypher migration.
 * Idempotent and safe when two gateways run it together (both write the same values).
 */
import type { Executor } from '../neo4j/executor.ts';
import { runsWithoutSearchProps, setSearchProps } from '../neo4j/queries/run-search.ts';
import { SEARCH_VERSION, searchProperties } from '../domain/search-params.ts';

const BATCH = 1000;

/** Returns how many runs it updated. */
export async function backfillRunSearch(executor: Executor): Promise<number> {
  let total = 0;
  for (;;) {
    const updated = await executor.write('runs.searchBackfill', async (tx) => {
      const rows = await runsWithoutSearchProps(tx, SEARCH_VERSION, BATCH);
      await setSearchProps(tx, rows.map((row) => ({ id: row.id, props: searchProperties(row.paramsJson) })));
      return rows.length;
    });
    total += updated;
    if (updated < BATCH) return total;
  }
}
