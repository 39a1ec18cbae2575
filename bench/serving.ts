/**
 * `node bench/serving.ts [windows=1000] [features=50] [concurrency=4]`: recording serving
 * windows of one deployment, each with `features` input distributions (half numeric, 20 bins on
 * other edges than the baseline's so every one is re-binned; half categorical, 12 categories),
 * every tenth shifted so that it exceeds its threshold and appends a SERVING_SKEW_DETECTED event.
 *
 * Contenders, alternating in chunks of 50 windows so all see the same machine load:
 * - Pedigree: `recordServingWindow` over HTTP to a gateway run as users run it, `node src/main.ts`
 *   in a child process (validation, the deployment and its baseline found through lineage,
 *   thresholds, skew, the window, the event and its audit entry, sequencing).
 * - Pedigree's plain-HTTP endpoint, `POST /serving/v1/windows`, to the same gateway: the same
 *   service and statement, without GraphQL's parsing, input coercion and execution.
 * - The limit: hand-written Cypher from this process through a driver configured like the
 *   gateway's, writing the same data, one write transaction per window: the window node with the
 *   same properties (the skew computed by the same function beforehand, untimed) and, for a
 *   shifted window, the event and audit nodes.
 * Then the cost of skew per window on its own: the pure computation (src/monitoring/skew.ts)
 * and the baseline lookup query (src/neo4j/queries/monitoring.ts), each timed per window.
 *
 * BENCH_TRACE=1 runs the gateway in this process instead, to print, per Cypher statement of
 * Pedigree's requests (and for COMMIT and the wait for the sequencer), how many ran and their
 * median milliseconds. Its gateway then shares an event loop with the clients: read its
 * statements, not its rates.
 *
 * Before timing, both run alternately for BENCH_WARMUP_SECONDS (default 120): a freshly started
 * Neo4j spends its first minutes of load compiling, and the timed windows should meet the
 * database users run, not a cold JVM.
 *
 * Uses NEO4J_URI when set (the data stays in a project of its own), otherwise a throwaway
 * embedded Neo4j. Prints windows/s, per-window medians and p99s in milliseconds, and the ratio.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import neo4j from 'neo4j-driver';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/domain/ids.ts';
import { createDriver } from '../src/neo4j/driver.ts';
import { createExecutor, type QueryObserver } from '../src/neo4j/executor.ts';
import { sha256 } from '../src/monitoring/profiles.ts';
import { skewReport, type FeatureProfile } from '../src/monitoring/skew.ts';
import { checkFeatures, checkMetrics } from '../src/monitoring/validate.ts';
import { baselineOf } from '../src/neo4j/queries/monitoring.ts';
import { BENCH_TOKEN, fetchOnce, startBenchGateway } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { statementTimer } from './lib/statement-timer.ts';
import { fmtMs, fmtRate, summarize } from './lib/stats.ts';

const WINDOWS = Number(process.argv[2] ?? 1000);
const FEATURES = Number(process.argv[3] ?? 50);
const CONCURRENCY = Number(process.argv[4] ?? 4);
const CHUNK = 50;
/** BENCH_WARMUP_SECONDS: how long both contenders run before anything is timed (default 120). */
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 120);
const HOUR = 3_600_000;

/** Deterministic pseudo-random numbers (mulberry32), so every run sends the same windows. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = Array.from({ length: 12 }, (_, i) => `c${i}`);

function trainingProfile(): FeatureProfile[] {
  const next = random(1);
  return Array.from({ length: FEATURES }, (_, f) =>
    f % 2 === 0
      ? { name: `num${f}`, histogram: { edges: Array.from({ length: 21 }, (_, i) => i), counts: Array.from({ length: 20 }, () => 100 + Math.round(next() * 50)) }, categories: null }
      : { name: `cat${f}`, histogram: null, categories: CATEGORIES.map((value) => ({ value, count: 100 + Math.round(next() * 50) })) },
  );
}

interface WindowInput {
  deployment: string;
  start: string;
  end: string;
  metrics: { key: string; value: number }[];
  features: FeatureProfile[];
}

/** Window `i`: close to the baseline, or (every tenth) shifted to the upper bins and one category. */
function servingWindow(deployment: string, i: number, offsetHours: number): WindowInput {
  const next = random(1000 + i);
  const shifted = i % 10 === 9;
  return {
    deployment,
    start: new Date(Date.UTC(2026, 0, 1) + (offsetHours + i) * HOUR).toISOString(),
    end: new Date(Date.UTC(2026, 0, 1) + (offsetHours + i + 1) * HOUR).toISOString(),
    metrics: [
      { key: 'requests', value: 1000 + Math.round(next() * 100) },
      { key: 'errors', value: Math.round(next() * 5) },
      { key: 'latency_p99_ms', value: 40 + next() * 10 },
    ],
    features: Array.from({ length: FEATURES }, (_, f) =>
      f % 2 === 0
        ? {
            name: `num${f}`,
            histogram: {
              edges: Array.from({ length: 21 }, (_, b) => b + 0.5),
              counts: Array.from({ length: 20 }, (_, b) => (shifted ? (b > 14 ? 500 : 5) : 100 + Math.round(next() * 50))),
            },
            categories: null,
          }
        : { name: `cat${f}`, histogram: null, categories: CATEGORIES.map((value, c) => ({ value, count: shifted && c > 0 ? 5 : 100 + Math.round(next() * 50) })) },
    ),
  };
}

const RECORD = 'mutation($input: RecordServingWindowInput!) { recordServingWindow(input: $input) { start skew { exceeded } } }';

const HAND_WRITTEN = `CREATE (:ServingWindow {
    deploymentId: $deploymentId, projectId: $projectId, start: datetime({epochMillis: $startMs}), end: datetime({epochMillis: $endMs}),
    digest: $digest, metricsJson: $metricsJson, featuresJson: $featuresJson, skewJson: $skewJson, recordedAt: datetime()
  })
  FOREACH (_ IN CASE WHEN $exceeded THEN [1] ELSE [] END |
    CREATE (:Event:Unsequenced {id: $eventId, kind: 'SERVING_SKEW_DETECTED', projectId: $projectId, subjectId: $deploymentId, name: 'ranker', actor: 'admin', occurredAt: datetime()})
    CREATE (:AuditEntry {id: $eventId, projectId: $projectId, at: datetime(), actor: 'admin', action: 'recordServingWindow', subjectId: $deploymentId, detailsJson: $skewJson}))`;

/** The gateway under test: its URL, and a stop. */
interface Contender {
  readonly url: string;
  stop(): Promise<void>;
}

/** BENCH_TRACE=1: the gateway in this process, its statements timed (printed at exit). */
async function tracedGateway(neo4jUri: string): Promise<Contender> {
  const { startGateway } = await import('../src/server.ts');
  const config = loadConfig(
    { ...process.env, NEO4J_URI: neo4jUri, PEDIGREE_ADMIN_TOKEN: BENCH_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const trace = new Map<string, number[]>();
  const note = (key: string, ms: number) => void (trace.get(key) ?? trace.set(key, []).get(key)!).push(ms);
  const queryObserver = (): QueryObserver =>
    statementTimer({
      statement: (query, sent, answered) => note(query.replace(/\s+/g, ' ').slice(0, 70), answered - sent),
      commit: (ms) => note('COMMIT', ms),
      sequenced: (ms) => note('sequencing wait', ms),
    });
  const gateway = await startGateway({ config, neo4jUri, queryObserver });
  process.on('exit', () => {
    for (const [key, times] of trace) console.log(`| \`${key}\` | ${times.length} | ${[...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!.toFixed(2)} |`);
  });
  await gateway.ready;
  return { url: gateway.url, stop: () => gateway.stop() };
}

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
  const config = loadConfig({ ...process.env, NEO4J_URI: database.uri }, { logLevel: 'silent' });
  const gateway: Contender = process.env['BENCH_TRACE'] ? await tracedGateway(database.uri) : await startBenchGateway(database.uri);
  const driver = createDriver({ ...config.neo4j, uri: database.uri });
  const executor = createExecutor({ driver, database: config.neo4j.database, logger: pino({ level: 'silent' }) });
  const post = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetchOnce(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 2000));
    return Object.values(body.data!)[0] as T;
  };
  const windowsUrl = gateway.url.replace(/\/graphql$/, '/serving/v1/windows');
  const postWindow = async (input: WindowInput): Promise<{ skew: { exceeded: boolean } | null }> => {
    const response = await fetchOnce(windowsUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` }, body: JSON.stringify(input) });
    const body = (await response.json()) as { skew: { exceeded: boolean } | null };
    if (response.status !== 200) throw new Error(JSON.stringify(body).slice(0, 2000));
    return body;
  };
  try {
    type Created = { id: string };
    const project = (await post<Created>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `bench-serving-${Date.now()}` })).id;
    const data = (await post<Created>('mutation($i: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $i) { id } }', { i: { project, dataset: 'clicks', uri: 's3://b/c', digest: `sha256:${'ab'.repeat(32)}` } })).id;
    const baseline = trainingProfile();
    await post('mutation($i: SetDatasetProfileInput!) { setDatasetProfile(input: $i) { id } }', { i: { datasetVersion: data, features: baseline } });
    const run = (await post<Created>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name: 'train', type: 'TRAINING', inputs: [{ id: data, role: 'train' }] } })).id;
    const version = (await post<Created>('mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }', { i: { project, model: 'ranker', source: run } })).id;
    const deployment = (await post<Created>('mutation($i: DeployModelVersionInput!) { deployModelVersion(input: $i) { id } }', { i: { version, environment: 'prod' } })).id;

    // The hand-written contender's rows, prepared untimed: the same properties Pedigree stores.
    const handRows = Array.from({ length: WINDOWS }, (_, i) => {
      const w = servingWindow(deployment, i, 1_000_000);
      const features = checkFeatures('f', w.features);
      const metricsJson = JSON.stringify(checkMetrics('m', w.metrics));
      const featuresJson = JSON.stringify(features);
      const skew = skewReport({ id: data, features: baseline }, features, [], 'ranker');
      return {
        deploymentId: deployment,
        projectId: project,
        startMs: neo4j.int(Date.parse(w.start)),
        endMs: neo4j.int(Date.parse(w.end)),
        digest: sha256(`${metricsJson}\n${featuresJson}`),
        metricsJson,
        featuresJson,
        skewJson: JSON.stringify(skew),
        exceeded: skew.exceeded,
        eventId: newId('Event'),
      };
    });
    const sessionConfig = { database: config.neo4j.database };

    // Warm-up, not counted (other hours than the timed windows): chunks of each, alternating,
    // for WARMUP_SECONDS (at least one each), so a fresh Neo4j's JIT has settled before timing.
    const warmupUntil = performance.now() + WARMUP_SECONDS * 1_000;
    for (let round = 0; round === 0 || performance.now() < warmupUntil; round++) {
      const base = round * CHUNK;
      await inParallel(CHUNK, async (i) => void (await post(RECORD, { input: servingWindow(deployment, base + i, 2_000_000) })));
      await inParallel(CHUNK, async (i) => void (await postWindow(servingWindow(deployment, base + i, 3_000_000))));
      await inParallel(CHUNK, async (i) => {
        const hour = base + i;
        await driver.executeQuery(HAND_WRITTEN, { ...handRows[i % WINDOWS]!, startMs: neo4j.int(hour * HOUR), endMs: neo4j.int((hour + 1) * HOUR), eventId: newId('Event') }, sessionConfig);
      });
    }

    const pedigree = { samples: [] as number[], ms: 0, exceeded: 0 };
    const hand = { samples: [] as number[], ms: 0 };
    const plain = { samples: [] as number[], ms: 0, exceeded: 0 };
    for (let from = 0; from < WINDOWS; from += CHUNK) {
      const count = Math.min(CHUNK, WINDOWS - from);
      pedigree.ms += await timed(count, async (k) => {
        const start = performance.now();
        const result = await post<{ skew: { exceeded: boolean } }>(RECORD, { input: servingWindow(deployment, from + k, 0) });
        pedigree.samples.push(performance.now() - start);
        if (result.skew.exceeded) pedigree.exceeded += 1;
      });
      plain.ms += await timed(count, async (k) => {
        const start = performance.now();
        const result = await postWindow(servingWindow(deployment, from + k, 4_000_000));
        plain.samples.push(performance.now() - start);
        if (result.skew?.exceeded) plain.exceeded += 1;
      });
      hand.ms += await timed(count, async (k) => {
        const start = performance.now();
        const session = driver.session(sessionConfig);
        try {
          await session.executeWrite((tx) => tx.run(HAND_WRITTEN, handRows[from + k]!));
        } finally {
          await session.close();
        }
        hand.samples.push(performance.now() - start);
      });
    }

    // The cost of skew per window, on its own.
    const served = Array.from({ length: WINDOWS }, (_, i) => checkFeatures('f', servingWindow(deployment, i, 0).features));
    const maths: number[] = [];
    for (const features of served) {
      const start = performance.now();
      skewReport({ id: data, features: baseline }, features, [], 'ranker');
      maths.push(performance.now() - start);
    }
    const lookups: number[] = [];
    for (let i = 0; i < Math.min(WINDOWS, 200); i++) {
      const start = performance.now();
      await executor.read('bench.baseline', (tx) => baselineOf(tx, deployment));
      lookups.push(performance.now() - start);
    }

    const p = summarize(pedigree.samples);
    const h = summarize(hand.samples);
    const pRate = (WINDOWS / pedigree.ms) * 1000;
    const q = summarize(plain.samples);
    const qRate = (WINDOWS / plain.ms) * 1000;
    if (plain.exceeded !== pedigree.exceeded) throw new Error(`the HTTP endpoint saw ${plain.exceeded} windows exceed, GraphQL ${pedigree.exceeded}`);
    const hRate = (WINDOWS / hand.ms) * 1000;
    const m = summarize(maths);
    const l = summarize(lookups);
    console.log(`\n${WINDOWS.toLocaleString('en')} serving windows of ${FEATURES} features (every tenth shifted: ${pedigree.exceeded} exceeded), ${CONCURRENCY} concurrent writers, chunks of ${CHUNK} alternating; Node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
    console.log('| contender | windows/s | median ms | p99 ms | rate vs hand-written |');
    console.log('|---|---:|---:|---:|---:|');
    console.log(`| hand-written Cypher (same driver, one write transaction per window, skew precomputed) | ${fmtRate(hRate)} | ${fmtMs(h.median)} | ${fmtMs(h.p99)} | 1.00x (the limit) |`);
    console.log(`| Pedigree \`recordServingWindow\` over HTTP | ${fmtRate(pRate)} | ${fmtMs(p.median)} | ${fmtMs(p.p99)} | ${(pRate / hRate).toFixed(2)}x |`);
    console.log(`| Pedigree \`POST /serving/v1/windows\` (plain HTTP, the same service) | ${fmtRate(qRate)} | ${fmtMs(q.median)} | ${fmtMs(q.p99)} | ${(qRate / hRate).toFixed(2)}x |`);
    console.log('\n| cost of skew per window | median ms | p99 ms |');
    console.log('|---|---:|---:|');
    console.log(`| skew maths (${FEATURES / 2} re-binned JS divergences, ${FEATURES / 2} L-infinity) | ${m.median.toFixed(3)} | ${m.p99.toFixed(3)} |`);
    console.log(`| baseline lookup through lineage (one read transaction) | ${fmtMs(l.median)} | ${fmtMs(l.p99)} |`);
  } finally {
    await driver.close();
    await gateway.stop();
    await database.stop();
  }
}

/** Runs `fn(0..count-1)` with CONCURRENCY workers; resolves with the wall time in ms. */
async function timed(count: number, fn: (k: number) => Promise<void>): Promise<number> {
  const start = performance.now();
  await inParallel(count, fn);
  return performance.now() - start;
}

async function inParallel(count: number, fn: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

await main();
