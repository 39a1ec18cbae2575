/**
 * Memory under a mixed load: for `seconds`, 4 readers (provenance of a model version,
 * `_entities` of 100 keys, a node by id), one writer recording a small pipeline per
 * `recordLineage` call, and 50 graphql-ws subscribers to every event. The gateway's resident
 * memory is sampled every second; a leak shows as growth between the first and last minutes.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BENCH_TOKEN, type BenchGateway } from './gateway.ts';
import type { Loaded } from './pedigree.ts';
import type { Table } from './report.ts';
import { fmtMs, percentile } from './stats.ts';

export async function runMixedLoad(options: { gateway: BenchGateway; seconds: number; pipelines: Loaded; log: (line: string) => void }): Promise<Table> {
  const { gateway, pipelines } = options;
  const models = [...pipelines.ids].filter(([key]) => key.endsWith('.model')).map(([, id]) => id);
  const end = Date.now() + options.seconds * 1000;
  const latencies: Record<string, number[]> = { provenance: [], entities: [], node: [], recordLineage: [] };
  let errors = 0;
  let events = 0;

  const clients = Array.from({ length: 50 }, () =>
    createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${BENCH_TOKEN}` }, lazy: false }),
  );
  const unsubscribes = clients.map((client) =>
    client.subscribe({ query: `subscription($p: [ID!]) { versionEvents(filter: { projects: $p }) { kind cursor } }`, variables: { p: [pipelines.project] } }, {
      next: () => void events++,
      error: () => void errors++,
      complete: () => {},
    }),
  );

  const timed = async (kind: string, work: () => Promise<unknown>) => {
    const start = performance.now();
    try {
      await work();
      latencies[kind]!.push(performance.now() - start);
    } catch {
      errors++;
    }
  };
  const pick = () => models[Math.floor(Math.random() * models.length)]!;
  const reader = async (kind: 'provenance' | 'entities' | 'node') => {
    while (Date.now() < end) {
      if (kind === 'provenance') await timed(kind, () => gateway.post('query($id: ID!) { node(id: $id) { upstream(maxDepth: 20, limit: 200) { nodes { depth node { id kind } } } } }', { id: pick() }));
      if (kind === 'entities') await timed(kind, () => gateway.post('query($r: [_Any!]!) { _entities(representations: $r) { ... on ModelVersion { id number } } }', { r: Array.from({ length: 100 }, () => ({ __typename: 'ModelVersion', id: pick() })) }));
      if (kind === 'node') await timed(kind, () => gateway.post('query($id: ID!) { node(id: $id) { id kind } }', { id: pick() }));
    }
  };
  const writer = async () => {
    for (let i = 0; Date.now() < end; i++) {
      const tag = `${Date.now().toString(36)}-${i}`;
      await timed('recordLineage', () =>
        gateway.post('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }', {
          input: {
            project: pipelines.project,
            nodes: [
              { key: 'd', kind: 'DATASET_VERSION', fields: { dataset: 'mixed', uri: `s3://mixed/${tag}`, digest: `sha256:${Buffer.from(tag).toString('hex').padEnd(16, '0')}` } },
              { key: 'r', kind: 'RUN', fields: { name: 'mixed', type: 'TRAINING', status: 'COMPLETED', params: { i } } },
              { key: 'c', kind: 'CHECKPOINT', fields: { run: 'r', step: 1, uri: `s3://mixed/${tag}.ckpt` } },
              { key: 'm', kind: 'MODEL_VERSION', fields: { model: 'mixed', source: 'c' } },
            ],
            edges: [{ from: 'r', to: 'd', kind: 'USED' }],
          },
        }),
      );
    }
  };

  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(gateway.memory().rssMb), 1000);
  const startRss = gateway.memory().rssMb;
  await Promise.all([reader('provenance'), reader('entities'), reader('node'), reader('node'), writer()]);
  clearInterval(sampler);
  for (const unsubscribe of unsubscribes) unsubscribe();
  await Promise.all(clients.map((client) => client.dispose()));

  const minute = Math.min(60, Math.floor(samples.length / 3));
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const rows = Object.entries(latencies).map(([kind, xs]) => ({
    contender: `Pedigree: ${kind}`,
    cells: [xs.length.toLocaleString('en'), fmtMs(percentile(xs, 50)), fmtMs(percentile(xs, 99))],
  }));
  return {
    title: `Memory under a ${options.seconds}-second mixed load (4 readers, 1 writer, 50 subscribers)`,
    note: [
      `Gateway resident memory: ${startRss.toFixed(0)} MB at the start, ${avg(samples.slice(0, minute)).toFixed(0)} MB on average over the first ${minute} s,`,
      `${avg(samples.slice(-minute)).toFixed(0)} MB over the last ${minute} s, peak ${gateway.memory().peakMb.toFixed(0)} MB since the gateway started.`,
      `${events.toLocaleString('en')} events delivered to the subscribers; ${errors} failed operations.`,
    ].join(' '),
    header: ['operations', 'median ms', 'p99 ms'],
    rows,
  };
}
