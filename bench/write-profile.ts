/**
 * Where a write's time goes (docs/architecture.md, "The write path"): `node bench/write-profile.ts`.
 *
 * Starts an embedded Neo4j and a gateway in this process, then sends, one after another over
 * HTTP with the admin token, BENCH_SINGLE `registerDatasetVersion` mutations; the first
 * BENCH_MIX nodes of the bench's pipelines shape one mutation per node, as bench/run.ts's
 * "one mutation per node" row does, reported per mutation, each alternating with the
 * hand-written limit's statement for the same node; and the pipelines shape (BENCH_PIPELINES,
 * in its `recordLineage` batches). It splits each request's wall-clock time into:
 *   - the Cypher statements (from sending each to its answer; a unit's statements pipelined in
 *     one round trip overlap, so this is the union of their intervals),
 *   - COMMIT, and the wait until the sequencer numbered the unit's events,
 *   - the rest: HTTP, parsing, GraphQL validation and execution, input validation, JSON.
 * Prints medians as markdown, per statement too. Client and gateway share one event loop here
 * (the numbers are for splitting, not for comparing with the peers: bench/run.ts does that).
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import type { QueryObserver } from '../src/neo4j/executor.ts';
import { startGateway } from '../src/server.ts';
import { loadShape, type Post } from './lib/load-pedigree.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { firstNodes, oneNodeMutation } from './lib/pedigree.ts';
import { writeOneNode } from './lib/raw.ts';
import { statementTimer } from './lib/statement-timer.ts';
import { BATCH_ELEMENTS, batchEdges, pipelines } from './lib/shapes.ts';

const SINGLE = Number(process.env['BENCH_SINGLE'] ?? 500);
const MIX = Number(process.env['BENCH_MIX'] ?? 2_000);
const BATCH_PIPELINES = Number(process.env['BENCH_PIPELINES'] ?? 10_000);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3_000);
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const log = (line: string) => console.error(`bench: ${line}`);

interface Trace {
  statements: { query: string; sent: number; answered: number }[];
  commitMs: number;
  sequenceMs: number;
}

const traces = new Map<string, Trace>();

function observerFor(requestId: string): QueryObserver | undefined {
  const trace = traces.get(requestId);
  if (!trace) return undefined;
  return statementTimer({
    statement: (query, sent, answered) => void trace.statements.push({ query, sent, answered }),
    commit: (ms) => void (trace.commitMs += ms),
    sequenced: (ms) => void (trace.sequenceMs += ms),
  });
}

/** Total length of the union of [sent, answered] intervals. */
function busy(statements: Trace['statements']): number {
  const sorted = [...statements].sort((a, b) => a.sent - b.sent);
  let total = 0;
  let end = -Infinity;
  for (const { sent, answered } of sorted) {
    if (answered <= end) continue;
    total += answered - Math.max(sent, end);
    end = answered;
  }
  return total;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '2g', pagecache: '1g', log });
  const config = loadConfig(
    { ...process.env, NEO4J_URI: database.uri, PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const gateway = await startGateway({ config, neo4jUri: database.uri, queryObserver: observerFor });
  try {
    await gateway.ready;
    let n = 0;
    const post = async (query: string, variables: Record<string, unknown>, traced: boolean) => {
      const requestId = `profile-${n++}`;
      if (traced) traces.set(requestId, { statements: [], commitMs: 0, sequenceMs: 0 });
      const started = performance.now();
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': requestId },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
      return { ms: performance.now() - started, trace: traces.get(requestId), data: body.data };
    };
    const newProject = async (name: string) =>
      ((await post('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name: `${name}-${Date.now()}` }, false)).data as { createProject: { id: string } }).createProject.id;
    const project = await newProject('profile');

    const register = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id number } }';
    const registerOne = (i: number, traced: boolean) =>
      post(register, { input: { project, dataset: `ds-${(i + WARMUP) % 50}`, digest: `sha256:${(i + WARMUP).toString(16).padStart(64, '0')}`, uri: `s3://bucket/ds/${i}` } }, traced);
    // Neo4j's JIT compiles the write path over the first few thousand mutations: warm it first.
    for (let i = 0; i < WARMUP; i++) await registerOne(-1 - i, false);
    const single = [];
    for (let i = 0; i < SINGLE; i++) single.push(await registerOne(i, true));
    report(`registerDatasetVersion, ${SINGLE} sequential mutations (new version of one of 50 datasets)`, single);

    // One mutation per node, the pipelines mix; each followed by the limit's one statement
    // (and commit) for the same node, so both see the same machine.
    const mixProject = await newProject('profile-mix');
    const rawProject = `prj_raw_profile_${Date.now()}`;
    const ids = new Map<string, string>();
    const rawIds = new Map<string, string>();
    const mix = new Map<string, { samples: Sample[]; limit: number[] }>();
    for (const { node, edges } of firstNodes(pipelines(1_000), MIX)) {
      const { field, mutation, input } = oneNodeMutation(node, edges, mixProject, ids);
      const { data, ...sample } = await post(mutation, { input }, true);
      ids.set(node.key, (data as Record<string, { id: string }>)[field]!.id);
      const started = performance.now();
      await writeOneNode(gateway.driver, rawProject, node, [...edges, ...batchEdges({ nodes: [node], edges: [] })], rawIds);
      const limitMs = performance.now() - started;
      const kind = mix.get(field) ?? mix.set(field, { samples: [], limit: [] }).get(field)!;
      kind.samples.push(sample);
      kind.limit.push(limitMs);
    }
    for (const [field, { samples, limit }] of mix) {
      const ours = median(samples.map((x) => x.ms));
      const theirs = median(limit);
      report(`${field}, ${samples.length} of the first ${MIX.toLocaleString('en')} pipelines nodes one mutation each; the limit's median ${theirs.toFixed(2)} ms, ratio ${(theirs / ours).toFixed(2)}x`, samples);
    }

    // The bench's pipelines shape in its batches of up to BATCH_ELEMENTS; the first load warms up.
    const batches: Sample[] = [];
    let warm = true;
    const traced: Post = async <T>(query: string, variables: Record<string, unknown>) => {
      const { data, ...sample } = await post(query, variables, !warm);
      if (!warm && query.includes('recordLineage')) batches.push(sample);
      return data as T;
    };
    await loadShape(traced, await newProject('profile-warm'), pipelines(1_000));
    warm = false;
    await loadShape(traced, await newProject('profile-batches'), pipelines(BATCH_PIPELINES));
    report(`recordLineage, ${batches.length} calls of up to ${BATCH_ELEMENTS.toLocaleString('en')} elements (${BATCH_PIPELINES.toLocaleString('en')} pipelines)`, batches);
  } finally {
    await gateway.stop();
    await database.stop();
  }
}

interface Sample {
  readonly ms: number;
  readonly trace: Trace | undefined;
}

function report(title: string, samples: Sample[]): void {
  const parts = samples.map(({ ms, trace }) => {
    const statements = busy(trace!.statements);
    return { total: ms, statements, commit: trace!.commitMs, sequence: trace!.sequenceMs, rest: ms - statements - trace!.commitMs - trace!.sequenceMs };
  });
  const m = (key: keyof (typeof parts)[number]) => median(parts.map((p) => p[key]));
  console.log(`## ${title}\n`);
  console.log('| part | median ms | share |');
  console.log('|---|---:|---:|');
  const total = m('total');
  for (const [name, key] of [
    ['HTTP, GraphQL, validation, JSON (the rest)', 'rest'],
    ['Cypher statements (round trips, pipelined ones overlap)', 'statements'],
    ['COMMIT', 'commit'],
    ['wait for the sequencer step', 'sequence'],
    ['whole request (client side)', 'total'],
  ] as const) {
    console.log(`| ${name} | ${m(key).toFixed(2)} | ${((100 * m(key)) / total).toFixed(0)}% |`);
  }
  console.log('\nPer statement (median time from send to answer; statements sent together overlap):\n');
  console.log('| statement | median ms |');
  console.log('|---|---:|');
  const byQuery = new Map<string, number[]>();
  for (const { trace } of samples) {
    for (const s of trace!.statements) {
      const key = s.query.replace(/\s+/g, ' ').trim().slice(0, 90);
      if (!byQuery.has(key)) byQuery.set(key, []);
      byQuery.get(key)!.push(s.answered - s.sent);
    }
  }
  for (const [query, times] of byQuery) console.log(`| \`${query.replaceAll('|', '\\|')}\` (${times.length}x) | ${median(times).toFixed(2)} |`);
  console.log();
}

await main();
