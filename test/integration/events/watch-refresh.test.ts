/**
 * Cost shape of the staleness watch: the upstream set is computed once per subscription and
 * recomputed once per watched node only when lineage can have changed, never per event per
 * subscriber; and it is recomputed whenever lineage did change, also by a batch that only links.
 */
import { describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { createDispatcher } from '../../../src/events/dispatcher.ts';
import { checkFilter } from '../../../src/events/filter.ts';
import type { Delivery } from '../../../src/events/subscription.ts';
import { createDriver } from '../../../src/neo4j/driver.ts';
import { createExecutor } from '../../../src/neo4j/executor.ts';
import { useGateway } from '../../support/gateway.ts';
import { unique } from '../../support/graph.ts';
import { createProject, pollAll, registerDataset } from '../../support/events.ts';

const server = useGateway();

async function take(iterator: AsyncIterator<Delivery>): Promise<string> {
  const result = await iterator.next();
  if (result.done || 'error' in result.value) throw new Error('stream ended');
  return result.value.event.subjectId;
}

/** A dispatcher of its own, counting its statements by unit. */
async function startDispatcher() {
  const units: string[] = [];
  const driver = createDriver({ uri: inject('neo4jUri'), user: 'neo4j', password: 'neo4j', retryMs: 2_000 });
  const executor = createExecutor({ driver, database: 'neo4j', logger: pino({ level: 'silent' }) }, [{ onQuery: ({ unit }) => units.push(unit) }]);
  const dispatcher = createDispatcher({ executor, logger: pino({ level: 'silent' }), config: { pollMs: 20, pageSize: 500, queueSize: 1_000, retentionMs: 3_600_000, pruneIntervalMs: 0 } });
  await dispatcher.start();
  return {
    dispatcher,
    count: (unit: string) => units.filter((u) => u === unit).length,
    async stop() {
      await dispatcher.stop();
      await driver.close();
    },
  };
}

describe('the upstreamOf watch', () => {
  it('runs one traversal per subscription, none per event, and one per watched node when a run finishes', async () => {
    const project = await createProject(server, unique('watch-cost'));
    const data = await registerDataset(server, project, 'clicks', 1);
    const run = (await server.ok<any>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name: 'train', type: 'TRAINING', inputs: [{ id: data }] } })).startRun.id;
    const ckpt = (await server.ok<any>('mutation($i: LogCheckpointInput!) { logCheckpoint(input: $i) { id } }', { i: { run, step: 1, uri: 's3://c/1' } })).logCheckpoint.id;

    const { dispatcher, count, stop } = await startDispatcher();
    try {
      const watchers = await Promise.all([ckpt, ckpt, ckpt, run].map((id) => dispatcher.subscribe(checkFilter({ upstreamOf: id }), null)));
      const everything = await dispatcher.subscribe(checkFilter({ projects: [project] }), null);
      expect(count('events.watch')).toBe(4);

      const versions: string[] = [];
      for (let i = 2; i <= 21; i += 1) versions.push(await registerDataset(server, project, 'clicks', i));
      for (const version of versions) expect(await take(everything)).toBe(version);
      for (const watcher of watchers) expect(await take(watcher)).toBe(versions[0]);
      expect(count('events.refreshWatches')).toBe(0);

      await server.ok('mutation($i: FinishRunInput!) { finishRun(input: $i) { id } }', { i: { run, status: 'COMPLETED' } });
      expect(await take(everything)).toBe(run);
      expect(count('events.refreshWatches')).toBe(2); // two distinct watched nodes, five subscribers
      for (const watcher of [...watchers, everything]) await watcher.return!();
    } finally {
      await stop();
    }
  });

  it('is refreshed by a recordLineage batch that only links existing nodes, and the marker reaches no reader', async () => {
    const project = await createProject(server, unique('watch-link'));
    const clicks = await registerDataset(server, project, 'clicks', 1);
    const labels = await registerDataset(server, project, 'labels', 1);
    const run = (await server.ok<any>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name: 'train', type: 'TRAINING', inputs: [{ id: clicks }] } })).startRun.id;

    const { dispatcher, count, stop } = await startDispatcher();
    try {
      const watcher = await dispatcher.subscribe(checkFilter({ upstreamOf: run }), null);
      const everything = await dispatcher.subscribe(checkFilter({ projects: [project] }), null);

      // No node, one edge from the existing run to the existing labels version: the run's upstream grows.
      const linked = await server.ok<any>('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { created edges } }', {
        input: { project, nodes: [], edges: [{ from: run, to: labels, kind: 'USED', role: 'labels' }] },
      });
      expect(linked.recordLineage).toEqual({ created: 0, edges: 1 });
      const labels2 = await registerDataset(server, project, 'labels', 2);
      expect(await take(everything)).toBe(labels2); // the marker was not offered to a subscriber
      expect(await take(watcher)).toBe(labels2); // a newer version of data the run now uses
      expect(count('events.refreshWatches')).toBe(1);

      // Re-sending the batch creates no edge, so it announces nothing to refresh for.
      await server.ok('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { edges } }', {
        input: { project, nodes: [], edges: [{ from: run, to: labels, kind: 'USED', role: 'labels' }] },
      });
      const clicks2 = await registerDataset(server, project, 'clicks', 2);
      expect(await take(everything)).toBe(clicks2);
      expect(await take(watcher)).toBe(clicks2);
      expect(count('events.refreshWatches')).toBe(1);

      // Polling readers do not see it either: the log lists only the public kinds, in order.
      expect((await pollAll(server, { projects: [project] })).map((e) => e.subjectId)).toEqual([clicks, labels, run, labels2, clicks2]);
      for (const subscription of [watcher, everything]) await subscription.return!();
    } finally {
      await stop();
    }
  });
});
