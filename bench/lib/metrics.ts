/**
 * The high-frequency training writes, sent sequentially by one client as an autologger does:
 * `logMetrics` next to the same list-append Cypher through the same driver.
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
 * - The limit: Pedigree's append statement without its checks (APPEND_METRICS: the points
 *   appended to the series' lists, full thousands moved to sealed chunks, the summary rebuilt),
 *   through the same driver, one write transaction per call.
 * Neo4j is warmed up first with calls of each kind for both contenders (on other runs, untimed).
 * Both series are read back at the end: a contender that stored a different number of points
 * fails the comparison.
 *
 * Peers with stores of their own (MLflow: log_batch, log_metric) make the same calls after those
 * two, timed per call in their own process; a peer without metric series says why in its row.
 */
import { performance } from 'node:perf_hooks';
import type { Driver } from 'neo4j-driver';
import { APPEND_METRICS } from '../../src/neo4j/queries/runs.ts';
import { isUnsupported, type MetricCalls, type MetricCallsPlan, type Outcome, type Peer } from '../peers/types.ts';
import type { Post } from './load-pedigree.ts';
import type { Row, Table } from './report.ts';
import { fmtMs, fmtRate, summarize } from './stats.ts';

export interface MetricWritesPlan {
  readonly batchCalls: number;
  readonly singlePoints: number;
}

const BATCH_SIZE = 1000;
const BATCH_CHUNK = 10;
const SINGLE_CHUNK = 100;
const WARMUP_BATCHES = 100;
const WARMUP_SINGLES = 300;
/** The calls at each end of the single-point series whose medians are compared. */
const ENDS = 100;

const LOG = 'mutation($input: LogMetricsInput!) { logMetrics(input: $input) { id } }';

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

type Name = 'pedigree' | 'hand';

interface Tally {
  samples: number[];
  ms: number;
}

/** Runs both scenarios; the three tables of the comparison. */
export async function compareMetricWrites(options: {
  post: Post;
  driver: Driver;
  database?: string;
  plan: MetricWritesPlan;
  /** Other contenders, after Pedigree and the limit. */
  peers?: readonly Peer[];
  log: (line: string) => void;
}): Promise<Table[]> {
  const { post, driver, plan, log, peers = [] } = options;
  const sessionConfig = options.database === undefined ? {} : { database: options.database };
  type Created = Record<string, { id: string }>;
  const project = Object.values(await post<Created>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `bench-metrics-${Date.now()}` }))[0]!.id;
  const startRun = async (name: string) =>
    Object.values(await post<Created>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name, type: 'TRAINING' } }))[0]!.id;

  const send: Record<Name, (runId: string, batch: Point[]) => Promise<void>> = {
    async pedigree(runId, batch) {
      await post(LOG, { input: { run: runId, metrics: batch } });
    },
    async hand(runId, batch) {
      const series = [{ key: batch[0]!.key, steps: batch.map((p) => p.step), values: batch.map((p) => p.value), timestamps: batch.map(() => null) }];
      const session = driver.session(sessionConfig);
      try {
        await session.executeWrite((tx) => tx.run(APPEND_METRICS, { runId, series }));
      } finally {
        await session.close();
      }
    },
  };
  const names: readonly Name[] = ['pedigree', 'hand'];

  log('metrics: warm-up');
  for (const name of names) {
    const run = await startRun(`warmup-${name}`);
    for (let i = 0; i < WARMUP_BATCHES; i++) await send[name](run, points(`warm${i % 10}`, Math.floor(i / 10) * BATCH_SIZE, BATCH_SIZE));
    for (let i = 0; i < WARMUP_SINGLES; i++) await send[name](run, points('warm-single', i, 1));
  }

  const runs: Record<Name, { batch: string; single: string }> = {
    pedigree: { batch: await startRun('batches-pedigree'), single: await startRun('singles-pedigree') },
    hand: { batch: await startRun('batches-hand'), single: await startRun('singles-hand') },
  };
  const fresh = (): Record<Name, Tally> => ({ pedigree: { samples: [], ms: 0 }, hand: { samples: [], ms: 0 } });

  log(`metrics: ${plan.batchCalls} calls of ${BATCH_SIZE} points each`);
  const batches = fresh();
  for (let from = 0; from < plan.batchCalls; from += BATCH_CHUNK) {
    const count = Math.min(BATCH_CHUNK, plan.batchCalls - from);
    for (const name of names) {
      for (let k = 0; k < count; k++) {
        const batch = points('loss', (from + k) * BATCH_SIZE, BATCH_SIZE);
        await timedCall(batches[name], () => send[name](runs[name].batch, batch));
      }
    }
  }

  log(`metrics: ${plan.singlePoints} calls of one point each`);
  const singles = fresh();
  for (let from = 0; from < plan.singlePoints; from += SINGLE_CHUNK) {
    const count = Math.min(SINGLE_CHUNK, plan.singlePoints - from);
    for (const name of names) {
      for (let k = 0; k < count; k++) {
        const point = points('loss', from + k, 1);
        await timedCall(singles[name], () => send[name](runs[name].single, point));
      }
    }
  }

  // Both contenders wrote the same series: the lengths read back must match the points sent.
  const lengths = await driver.executeQuery(
    `UNWIND $runIds AS runId MATCH (m:MetricSeries {runId: runId, key: "loss"})
     WITH runId, m, COLLECT { MATCH (m)-[:HAS_CHUNK]->(c:MetricChunk) RETURN c } AS chunks
     RETURN runId, size(m.steps) + reduce(n = 0, c IN chunks | n + size(c.steps)) AS n,
       size(m.values) + reduce(n = 0, c IN chunks | n + size(c.values)) AS v,
       size(m.timestamps) + reduce(n = 0, c IN chunks | n + size(c.timestamps)) AS t`,
    { runIds: [runs.pedigree.batch, runs.hand.batch, runs.pedigree.single, runs.hand.single] },
    sessionConfig,
  );
  const expected = new Map([
    [runs.pedigree.batch, plan.batchCalls * BATCH_SIZE],
    [runs.hand.batch, plan.batchCalls * BATCH_SIZE],
    [runs.pedigree.single, plan.singlePoints],
    [runs.hand.single, plan.singlePoints],
  ]);
  for (const record of lengths.records) {
    const want = expected.get(record.get('runId') as string);
    const got = ['n', 'v', 't'].map((k) => Number(record.get(k)));
    if (got.some((n) => n !== want)) throw new Error(`series of run ${String(record.get('runId'))}: ${got.join('/')} points, expected ${want}`);
  }
  if (lengths.records.length !== expected.size) throw new Error(`${lengths.records.length} series read back, expected ${expected.size}`);

  const peerCalls: { name: string; calls: Outcome<MetricCalls> }[] = [];
  const peerPlan: MetricCallsPlan = { ...plan, batchSize: BATCH_SIZE, warmupBatches: WARMUP_BATCHES, warmupSingles: WARMUP_SINGLES };
  for (const peer of peers) {
    log(`metrics: ${peer.name}`);
    const calls = peer.logMetrics ? await peer.logMetrics(peerPlan).catch((error: unknown) => ({ unsupported: `failed: ${String(error).slice(0, 300)}` })) : { unsupported: 'not measured' };
    peerCalls.push({ name: peer.name, calls });
  }

  const note = 'One client, sequential calls; each contender on a run and key of its own, in alternating chunks. The limit is Pedigree\'s append statement without its checks, through the same driver, one write transaction per call. An element is one point.';
  const rateTable = (title: string, elements: number, tallies: Record<Name, Tally>, of: keyof MetricCalls): Table => {
    const rate = (t: Tally) => (elements / t.ms) * 1000;
    const row = (contender: string, t: Tally, ratio: string) => {
      const s = summarize(t.samples);
      return { contender, cells: [elements.toLocaleString('en'), (t.ms / 1000).toFixed(2), fmtRate(rate(t)), fmtMs(s.median), fmtMs(s.p99), ratio] };
    };
    return {
      title,
      note,
      header: ['elements', 'seconds', 'elements/s', 'median ms per call', 'p99 ms per call', 'rate vs hand-written'],
      rows: [
        row('hand-written Cypher (the limit)', tallies.hand, '1.00x (the limit)'),
        row('Pedigree `logMetrics` over HTTP', tallies.pedigree, `${(rate(tallies.pedigree) / rate(tallies.hand)).toFixed(2)}x`),
        ...peerCalls.map(({ name, calls }): Row => {
          if (isUnsupported(calls)) return { contender: name, cells: ['–', '–', '–', '–', '–', calls.unsupported] };
          const samples = calls[of];
          const t = { samples: [...samples], ms: samples.reduce((a, b) => a + b, 0) };
          return row(name, t, `${(rate(t) / rate(tallies.hand)).toFixed(2)}x`);
        }),
      ],
    };
  };
  const ends = Math.min(ENDS, Math.floor(plan.singlePoints / 2));
  const growth = (contender: string, t: Tally) => {
    const first = summarize(t.samples.slice(0, ends)).median;
    const last = summarize(t.samples.slice(-ends)).median;
    return { contender, cells: [fmtMs(first), fmtMs(last), `${(last / first).toFixed(2)}x`] };
  };
  return [
    rateTable(`Training metrics: ${plan.batchCalls.toLocaleString('en')} \`logMetrics\` calls of ${BATCH_SIZE.toLocaleString('en')} points`, plan.batchCalls * BATCH_SIZE, batches, 'batches'),
    rateTable(`Training metrics: ${plan.singlePoints.toLocaleString('en')} per-step calls of one point`, plan.singlePoints, singles, 'singles'),
    {
      title: 'Training metrics: per-call cost of single points as the series grows',
      note: `Neo4j rewrites a list property whole on every change: the median of the first ${ends} single-point calls next to that of the last ${ends}, as the series grows to ${plan.singlePoints.toLocaleString('en')} points.`,
      header: [`median ms, first ${ends} calls`, `median ms, last ${ends} calls`, 'last / first'],
      rows: [
        growth('hand-written Cypher', singles.hand),
        growth('Pedigree `logMetrics`', singles.pedigree),
        ...peerCalls.flatMap(({ name, calls }) => (isUnsupported(calls) ? [] : [growth(name, { samples: [...calls.singles], ms: 0 })])),
      ],
    },
  ];
}

/** Times one call into `tally`. */
async function timedCall(tally: Tally, fn: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  tally.samples.push(ms);
  tally.ms += ms;
}
