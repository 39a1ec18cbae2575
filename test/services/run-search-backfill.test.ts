/**
 * The start-up backfill of run search (src/experiments/search-backfill.ts): runs stored before
 * their params were searchable get `p.*` properties, once; afterwards a start-up reads one
 * marker node instead of scanning every run.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { backfillRunSearch } from '../../src/experiments/search-backfill.ts';
import { SEARCH_VERSION } from '../../src/domain/search-params.ts';
import { useServices } from '../support/services.ts';

const services = useServices();
const legacy: string[] = [];

/** A run as a version before run search stored it: canonical params JSON, no `p.*`, no searchVersion. */
async function legacyRun(paramsJson: string): Promise<string> {
  const id = `run-legacy-${randomUUID()}`;
  legacy.push(id);
  await services.executor.writeOne('test.legacyRun', (tx) =>
    tx.run('CREATE (:Run:LineageNode {id: $id, projectId: $project, paramsJson: $paramsJson})', { id, project: `p-${randomUUID()}`, paramsJson }),
  );
  return id;
}

async function runProps(id: string): Promise<Record<string, unknown>> {
  const [record] = await services.executor.readOne('test.runProps', (tx) => tx.run('MATCH (r:Run {id: $id}) RETURN properties(r) AS p', { id }));
  return record!.get('p') as Record<string, unknown>;
}

afterAll(async () => {
  await services.executor.writeOne('test.cleanup', (tx) => tx.run('MATCH (r:Run) WHERE r.id IN $ids DETACH DELETE r', { ids: legacy }));
});

describe('run search backfill', () => {
  it('flattens the params of older runs, records that it is done, and then skips the scan', async () => {
    // As after an upgrade from a version without the marker.
    await services.executor.writeOne('test.forgetBackfill', (tx) => tx.run("MATCH (b:PedigreeBackfill {name: 'runSearch'}) DELETE b"));
    const old = await legacyRun('{"optimizer":{"lr":0.01},"layers":[64,64]}');

    expect(await backfillRunSearch(services.executor)).toBeGreaterThanOrEqual(1);
    expect(await runProps(old)).toMatchObject({ searchVersion: SEARCH_VERSION, 'p.optimizer.lr': '0.01', 'p.layers': '[64,64]' });
    const [marker] = await services.executor.readOne('test.marker', (tx) =>
      tx.run("MATCH (b:PedigreeBackfill {name: 'runSearch'}) RETURN b.version AS version"),
    );
    expect(marker!.get('version')).toBe(SEARCH_VERSION);

    // A later start-up: one read of the marker, no scan (a run that appeared since is not visited).
    const queries: string[] = [];
    const observed = services.executor.observed({ onQuery: ({ unit }) => queries.push(unit) });
    const unseen = await legacyRun('{"seed":7}');
    expect(await backfillRunSearch(observed)).toBe(0);
    expect(queries).toEqual(['runs.searchBackfillVersion']);
    expect(await runProps(unseen)).not.toHaveProperty('searchVersion');
  });
});
