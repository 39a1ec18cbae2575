/**
 * `node bench/metrics.ts [batchCalls=50] [singlePoints=5000]`: the high-frequency training writes,
 * sent sequentially by one client as an autologger does.
 *
 * Two scenarios, each against a series of one key that grows as it goes:
 * - batches: `batchCalls` calls of 1,000 points each (steps ascending);
 * - per-step single points: `singlePoints` calls of one point each; and, because every append
 *   rewrites the whole list properties of the series, the median of the first 100 calls next to
 *   that of the last 100 (does the per-call cost grow with the length of the series?).
 *
 * Contenders, alternating in chunks (10 batch calls, 100 single-point calls) so both see the same
 * machine load, each on a run of its own:
 * - Pedigree: `logMetrics` over HTTP (validation, the run locked and checked, the points appended
 *   to the run's MetricSeries, the run's summary updated, the run read back).
 * - The limit: hand-written Cypher through the same driver writing the same data in the same
 *   storage shape, one write transaction per call: the same MERGE/SET list-append statement on
 *   the MetricSeries, with the run's summary kept by the client.
 * Neo4j is warmed up first with calls of each kind for both contenders (on other runs, untimed).
 *
 * Uses NEO4J_URI when set (the data stays in a project of its own), otherwise a throwaway
 * embedded Neo4j. Prints elements/s (an element is one point), per-call medians and p99s in
 * milliseconds, and the ratio to the limit.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { canonicalJson } from '../src/domain/json.ts';
import { startGateway } from '../src/server.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { fmtMs, fmtRate, summarize } from './lib/stats.ts';

const BATCH_CALLS = Number(process.argv[2] ?? 50);
const SINGLE_POINTS = Number(process.argv[3] ?? 5000);
const BATCH_SIZE = 1000;
const BATCH_CHUNK = 10;
const SINGLE_CHUNK = 100;
const WARMUP_BATCHES = 100;
const WARMUP_SINGLES = 300;
/** The calls at each end of the single-point series whose medians are compared. */
const ENDS = 100;
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const LOG = 'mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }';

/** The statement of appendMetrics (src/neo4j/queries/runs.ts), written out by hand. */
const HAND_WRITTEN = `MATCH (r:Run {id: $runId})
  SET r.summaryMetricsJson = $summaryMetricsJson
  WITH r
  UNWIND $series AS s
  MERGE (m:MetricSeries {runId: $runId, key: s.key})
  ON CREATE SET m.projectId = r.projectId, m.steps = [], m.values = [], m.timestamps = [], m.created = true
  WITH r, m, s, m.created AS created
  REMOVE m.created
  SET m.steps = m.steps + [x IN s.steps | toInteger(x)],
      m.values = m.values + [x IN s.values | toFloat(x)],
      m.timestamps = m.timestamps + [t IN s.timestamps | CASE WHEN t IS NULL THEN datetime() ELSE datetime(t) END],
      m.last = toFloat(s.values[-1])
  FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END | CREATE (r)-[:HAS_METRIC]->(m))`;

interface Point {
  key: string;
  value: number;
  step: number;
}

/** `count` points of `key` from step `from` on: a decaying loss with some wiggle. */
function points(key: string, from: number, count: number): Point[] {
  return Array.from({ length: count }, (_, i) => {
    const step = from + i;
    return { key, step, value: Math.exp(-step / 20_000) + 0.01 * Math.sin(step) };
  });
}

interface Contender {
  /** Sends one call's points; the timestamps are left to the server ("now"). */
  send(runId: string, batch: Point[]): Promise<void>;
}

interface Tally {
  samples: number[];
  ms: number;
}

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
  const config = loadConfig(
    { ...process.env, NEO4J_URI: database.uri, PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const gateway = await startGateway({ config, neo4jUri: database.uri });
  const post = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 2000));
    return Object.values(body.data!)[0] as T;
  };
  const sessionConfig = { database: config.neo4j.database };
  try {
    await gateway.ready;
    type Created = { id: string };
    const project = (await post<Created>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `bench-metrics-${Date.now()}` })).id;
    const startRun = async (name: string) => (await post<Created>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name, type: 'TRAINING' } })).id;

    const pedigree: Contender = {
      async send(runId, batch) {
        await post(LOG, { input: { run: runId, metrics: batch } });
      },
    };
    // The limit keeps each run's summary itself (Pedigree reads it from the locked run).
    const summaries = new Map<string, Record<string, number>>();
    const hand: Contender = {
      async send(runId, batch) {
        const summary = summaries.get(runId) ?? {};
        const last = batch[batch.length - 1]!;
        summary[last.key] = last.value;
        summaries.set(runId, summary);
        const series = [{ key: last.key, steps: batch.map((p) => p.step), values: batch.map((p) => p.value), timestamps: batch.map(() => null) }];
        const session = gateway.driver.session(sessionConfig);
        try {
          await session.executeWrite((tx) => tx.run(HAND_WRITTEN, { runId, series, summaryMetricsJson: canonicalJson(summary) }));
        } finally {
          await session.close();
        }
      },
    };
    const contenders = [
      { name: 'pedigree', contender: pedigree },
      { name: 'hand', contender: hand },
    ] as const;

    // Warm-up, untimed, on runs of their own: batches on ten keys, then single points on one.
    for (const { name, contender } of contenders) {
      const run = await startRun(`warmup-${name}`);
      for (let i = 0; i < WARMUP_BATCHES; i++) await contender.send(run, points(`warm${i % 10}`, Math.floor(i / 10) * BATCH_SIZE, BATCH_SIZE));
      for (let i = 0; i < WARMUP_SINGLES; i++) await contender.send(run, points('warm-single', i, 1));
    }

    const runs = { pedigree: { batch: await startRun('batches-pedigree'), single: await startRun('singles-pedigree') }, hand: { batch: await startRun('batches-hand'), single: await startRun('singles-hand') } };
    const fresh = (): Record<'pedigree' | 'hand', Tally> => ({ pedigree: { samples: [], ms: 0 }, hand: { samples: [], ms: 0 } });

    // 1. Batches of 1,000 points, one key, steps ascending.
    const batches = fresh();
    for (let from = 0; from < BATCH_CALLS; from += BATCH_CHUNK) {
      const count = Math.min(BATCH_CHUNK, BATCH_CALLS - from);
      for (const { name, contender } of contenders) {
        for (let k = 0; k < count; k++) {
          const batch = points('loss', (from + k) * BATCH_SIZE, BATCH_SIZE);
          await timedCall(batches[name], () => contender.send(runs[name].batch, batch));
        }
      }
    }

    // 2. Per-step single points, one key.
    const singles = fresh();
    for (let from = 0; from < SINGLE_POINTS; from += SINGLE_CHUNK) {
      const count = Math.min(SINGLE_CHUNK, SINGLE_POINTS - from);
      for (const { name, contender } of contenders) {
        for (let k = 0; k < count; k++) {
          const point = points('loss', from + k, 1);
          await timedCall(singles[name], () => contender.send(runs[name].single, point));
        }
      }
    }

    // Both contenders wrote the same series: the lengths read back must match the points sent.
    const lengths = await gateway.driver.executeQuery(
      'UNWIND $runIds AS runId MATCH (m:MetricSeries {runId: runId, key: "loss"}) RETURN runId, size(m.steps) AS n, size(m.values) AS v, size(m.timestamps) AS t',
      { runIds: [runs.pedigree.batch, runs.hand.batch, runs.pedigree.single, runs.hand.single] },
      sessionConfig,
    );
    const expected = new Map([
      [runs.pedigree.batch, BATCH_CALLS * BATCH_SIZE],
      [runs.hand.batch, BATCH_CALLS * BATCH_SIZE],
      [runs.pedigree.single, SINGLE_POINTS],
      [runs.hand.single, SINGLE_POINTS],
    ]);
    for (const record of lengths.records) {
      const want = expected.get(record.get('runId') as string);
      const got = ['n', 'v', 't'].map((k) => Number(record.get(k)));
      if (got.some((n) => n !== want)) throw new Error(`series of run ${String(record.get('runId'))}: ${got.join('/')} points, expected ${want}`);
    }
    if (lengths.records.length !== expected.size) throw new Error(`${lengths.records.length} series read back, expected ${expected.size}`);

    console.log(
      `\n${BATCH_CALLS.toLocaleString('en')} calls of ${BATCH_SIZE.toLocaleString('en')} points and ${SINGLE_POINTS.toLocaleString('en')} calls of one point, one client, each contender on a run and key of its own, chunks of ${BATCH_CHUNK} and ${SINGLE_CHUNK} calls alternating; Node ${process.version}, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
    );
    const table = (title: string, elements: number, tallies: Record<'pedigree' | 'hand', Tally>) => {
      const rate = (t: Tally) => (elements / t.ms) * 1000;
      const hRate = rate(tallies.hand);
      console.log(`| ${title} | elements | seconds | elements/s | median ms per call | p99 ms per call | ratio vs limit |`);
      console.log('|---|---:|---:|---:|---:|---:|---:|');
      for (const [label, t, ratio] of [
        ['hand-written Cypher (same driver, same statement, one write transaction per call)', tallies.hand, '1.00x (the limit)'],
        ['Pedigree `logMetrics` over HTTP', tallies.pedigree, `${(rate(tallies.pedigree) / hRate).toFixed(2)}x`],
      ] as const) {
        const s = summarize(t.samples);
        console.log(`| ${label} | ${elements.toLocaleString('en')} | ${(t.ms / 1000).toFixed(2)} | ${fmtRate(rate(t))} | ${fmtMs(s.median)} | ${fmtMs(s.p99)} | ${ratio} |`);
      }
      console.log('');
    };
    table(`batches of ${BATCH_SIZE.toLocaleString('en')} points`, BATCH_CALLS * BATCH_SIZE, batches);
    table('per-step single points', SINGLE_POINTS, singles);

    const ends = Math.min(ENDS, Math.floor(SINGLE_POINTS / 2));
    console.log(`| single points: per-call cost as the series grows | median ms, first ${ends} calls | median ms, last ${ends} calls | last / first |`);
    console.log('|---|---:|---:|---:|');
    for (const [label, t] of [
      ['hand-written Cypher', singles.hand],
      ['Pedigree `logMetrics`', singles.pedigree],
    ] as const) {
      const first = summarize(t.samples.slice(0, ends)).median;
      const last = summarize(t.samples.slice(-ends)).median;
      console.log(`| ${label} | ${fmtMs(first)} | ${fmtMs(last)} | ${(last / first).toFixed(2)}x |`);
    }
  } finally {
    await gateway.stop();
    await database.stop();
  }
}

/** Times one call into `tally`. */
async function timedCall(tally: Tally, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  tally.samples.push(ms);
  tally.ms += ms;
}

await main();
