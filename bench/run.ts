/**
 * `npm run bench [-- --size quick|L] [--only ingest,provenance,...] [--out FILE]`
 *
 * Pedigree side by side with the physical limit (hand-written Cypher through the same
 * driver) and with the stores users would pick instead, in one run on one machine: graph
 * shapes from bench/lib/shapes.ts, every scenario of bench/README.md, medians, p99s, throughput, peak
 * memory and ratios, printed and written as markdown to bench/RESULTS.md (quick runs write
 * bench/RESULTS-quick.md unless --out says otherwise).
 *
 * Starts its own embedded Neo4j in a temporary directory unless NEO4J_URI is set, and the
 * gateway as a child process (`node src/main.ts`). Not a test: nothing here asserts a time,
 * but a contender whose answer has the wrong size is flagged in the table.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import neo4j, { type Driver } from 'neo4j-driver';
import { startBenchGateway, type BenchGateway } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { loadShape, loadShapeTimed, type LoadTimings, type Post } from './lib/load-pedigree.ts';
import { createProject, pedigreePeer, type Loaded } from './lib/pedigree.ts';
import { rawLoad, rawPeer } from './lib/raw.ts';
import { expectedReach } from './lib/reach.ts';
import { INGEST_HEADER, TIMED_HEADER, ingestRow, machineDescription, renderTable, timedRow, type Row, type Table } from './lib/report.ts';
import { pipelines, shapesFor, type Shape, type Size } from './lib/shapes.ts';
import { closedLoop, fmtMs, fmtRate, MIN_RUNS, setRunBudget, summarize, timeOnce } from './lib/stats.ts';
import { runFanout } from './lib/fanout.ts';
import { compareMetricWrites } from './lib/metrics.ts';
import { runMixedLoad } from './lib/mixed-load.ts';
import { ensureApoc } from './peers/apoc.ts';
import { startNeo4jGraphQLPeer, type Neo4jGraphQLPeer } from './peers/neo4j-graphql.ts';
import { startMlflowPeer, startMlmdPeer } from './peers/python.ts';
import { isUnsupported, type Ingested, type Outcome, type Peer, type SingleWriter, type TraversalQuestion, type Unsupported } from './peers/types.ts';
import { labelOf } from '../src/domain/ids.ts';

/** A shape small enough for the peers that store one element per call (MLflow, @neo4j/graphql ingest). */
const SMALL = pipelines(50);

/** Nodes each contender writes in a row before the next one's turn, in the one-node-per-call table. */
const SINGLE_CHUNK = 50;

/**
 * Writes every node with each writer, in turns of SINGLE_CHUNK nodes (who goes first rotates), so
 * that all of them see the same machine; each writer's total time and elements. A writer that
 * fails drops out with its error, and the others go on.
 */
async function alternatingSingles(writers: readonly SingleWriter[]): Promise<Outcome<Ingested>[]> {
  const totals: Outcome<Ingested>[] = writers.map(() => ({ ms: 0, elements: 0 }));
  const nodes = Math.min(...writers.map((w) => w.nodes));
  for (let from = 0, turn = 0; from < nodes; from += SINGLE_CHUNK, turn++) {
    const to = Math.min(nodes, from + SINGLE_CHUNK);
    for (let k = 0; k < writers.length; k++) {
      const w = (k + turn) % writers.length;
      const total = totals[w]!;
      if (isUnsupported(total)) continue;
      try {
        const start = performance.now();
        let elements = 0;
        for (let i = from; i < to; i++) elements += await writers[w]!.write(i);
        totals[w] = { ms: total.ms + performance.now() - start, elements: total.elements + elements };
      } catch (error) {
        totals[w] = failed(`single writer ${w}`, error);
      }
    }
  }
  return totals;
}

const SCENARIOS = ['ingest', 'provenance', 'store', 'impact', 'entities', 'floor', 'metrics', 'fanout', 'memory'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: 'quick' },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
const size = (args.size === 'L' ? 'L' : 'quick') as Size;
if (args.size !== 'L' && args.size !== 'quick') throw new Error(`--size must be quick or L, got ${args.size}`);
const only = new Set((args.only?.split(',') ?? SCENARIOS) as Scenario[]);
for (const name of only) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; one of ${SCENARIOS.join(', ')}`);
const out = args.out ?? join(import.meta.dirname, size === 'L' ? 'RESULTS.md' : 'RESULTS-quick.md');

const PLAN = size === 'L'
  ? { runs: 30, runBudgetMs: 10_000, ingestRounds: 3, warmPipelines: pipelines(1_000), singleNodes: 2_000, peerTimeoutMs: 60_000, floorSeconds: 20, metrics: { batchCalls: 50, singlePoints: 5_000 }, fanout: { subscribers: 1_000, eventsPerSecond: 100, seconds: 30, warmupSeconds: 10 }, mixedSeconds: 300, heap: '4g', pagecache: '6g' }
  : { runs: 15, runBudgetMs: 2_000, ingestRounds: 3, warmPipelines: pipelines(200), singleNodes: 100, peerTimeoutMs: 4_000, floorSeconds: 2, metrics: { batchCalls: 10, singlePoints: 200 }, fanout: { subscribers: 1_000, eventsPerSecond: 100, seconds: 5, warmupSeconds: 2 }, mixedSeconds: 10, heap: '2g', pagecache: '1g' };

/** The commit measured, and whether tracked files differed from it. */
const CODE_VERSION = (() => {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: import.meta.dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `commit ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') === '' ? '' : ' with uncommitted changes'}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
})();
setRunBudget(PLAN.runBudgetMs);
const started = Date.now();
const log = (line: string) => console.error(`bench ${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s: ${line}`);
const tables: Table[] = [];
let neo4jVersion = 'unknown';
const print = (table: Table) => {
  tables.push(table);
  console.log(renderTable(table));
  // Written after every table: a run that fails late keeps what it measured.
  writeFileSync(out, `${header()}\n${tables.map(renderTable).join('\n')}`);
};

/** A peer that throws is reported as failed in its row; the run goes on. */
async function guarded<T>(peer: Peer, work: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await work();
  } catch (error) {
    return failed(peer.name, error);
  }
}

/** Logs a contender's failure and gives the table's cell for it. */
function failed(name: string, error: unknown): Unsupported {
  log(`${name} failed: ${(error as Error).message}`);
  return { unsupported: `failed: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}` };
}

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: PLAN.heap, pagecache: PLAN.pagecache, plugins: await ensureApoc(log), log });
  const uri = database.uri;
  const driver = neo4j.driver(uri, neo4j.auth.basic(process.env['NEO4J_USER'] ?? 'neo4j', process.env['NEO4J_PASSWORD'] ?? 'neo4j'), { disableLosslessIntegers: false });
  const gateway = await startBenchGateway(uri);
  const peers: Peer[] = [];
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      for (const peer of peers) await peer.close().catch((error: unknown) => log(`closing ${peer.name}: ${String(error)}`));
      await gateway.stop();
      await driver.close();
      await database.stop();
    })());
  // Killed mid-run (`kill`, not only Ctrl-C, which reaches the children too): stop the gateway
  // and the peers' servers, which would otherwise outlive the harness.
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the gateway, the peers and the database`);
    void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await run(driver, gateway, peers, uri);
  } finally {
    await close();
  }
}

async function run(driver: Driver, gateway: BenchGateway, peers: Peer[], neo4jUri: string): Promise<void> {
  const { records } = await driver.executeQuery('CALL dbms.components() YIELD name, versions, edition RETURN name, versions[0] AS version, edition');
  neo4jVersion = records.map((r) => `${r.get('name')} ${r.get('version')} ${r.get('edition')}`).join(', ');
  const shapes = shapesFor(size);
  const stamp = Date.now().toString(36);
  let projects = 0;
  const newProject = () => createProject(gateway, `bench-${stamp}-${projects++}`);
  const loaded = new Map<string, Loaded>();
  const loadedOf = (shape: Shape) => {
    const found = loaded.get(shape.name);
    if (!found) throw new Error(`${shape.name} is not loaded into Pedigree`);
    return found;
  };
  const post: Post = (query, variables) => gateway.post(query, variables);
  const pedigree = pedigreePeer(gateway, loadedOf, newProject);
  const raw = rawPeer(driver, loadedOf);
  const { storing, sameDatabase } = await startPeers(neo4jUri, loadedOf);
  const others: Peer[] = [...storing, ...sameDatabase];
  peers.push(...others);

  /** Loads a shape into Pedigree (timed: that is `recordLineage`'s batched ingest) and into every other peer that stores its own copy. */
  const ensureLoaded = async (shape: Shape): Promise<{ pedigree: LoadTimings; peerIngests: Map<Peer, Outcome<{ ms: number; elements: number }>> }> => {
    const project = await newProject();
    log(`loading ${shape.name} (${shape.nodeCount.toLocaleString('en')} nodes, ${shape.edgeCount.toLocaleString('en')} edges) into Pedigree`);
    const { ids, timings } = await loadShapeTimed(post, project, shape);
    loaded.set(shape.name, { project, ids });
    const peerIngests = new Map<Peer, Outcome<{ ms: number; elements: number }>>();
    for (const peer of storing) {
      log(`loading ${shape.name} into ${peer.name}`);
      peerIngests.set(peer, await guarded(peer, () => peer.ingestBatched(shape)));
    }
    return { pedigree: timings, peerIngests };
  };

  // ------------------------------------------------------------------ ingest
  // Warm-up, untimed: the JVM, Neo4j's plan cache and page cache, and the gateway's JIT see every
  // statement often enough to be compiled before anything is measured, whoever goes first.
  log(`warm-up: ${SMALL.name} one by one and ${PLAN.warmPipelines.name} batched, through Pedigree and hand-written Cypher`);
  await pedigree.ingestSingle(SMALL, 50);
  await raw.ingestSingle(SMALL, 50);
  await loadShape(post, await newProject(), PLAN.warmPipelines);
  await raw.ingestBatched(PLAN.warmPipelines);
  const pipelineLoad = await ensureLoaded(shapes.pipelines);
  if (only.has('ingest')) {
    // Rounds alternate between the limit and Pedigree, each into a fresh project of a store
    // that grows as they go; the median round of each is reported.
    const limitRounds: Ingested[] = [];
    const pedigreeRounds: LoadTimings[] = [pipelineLoad.pedigree];
    for (let round = 0; round < PLAN.ingestRounds; round++) {
      log(`ingest round ${round + 1} of ${PLAN.ingestRounds}: hand-written UNWIND`);
      const limit = await raw.ingestBatched(shapes.pipelines);
      if (isUnsupported(limit)) throw new Error(`the limit cannot ingest: ${limit.unsupported}`);
      limitRounds.push(limit);
      if (round === PLAN.ingestRounds - 1) break;
      log(`ingest round ${round + 2} of ${PLAN.ingestRounds}: Pedigree`);
      pedigreeRounds.push((await loadShapeTimed(post, await newProject(), shapes.pipelines)).timings);
    }
    const middle = <T>(rounds: T[], rate: (round: T) => number): T => [...rounds].sort((a, b) => rate(a) - rate(b))[Math.floor(rounds.length / 2)]!;
    const limit = middle(limitRounds, (r) => r.elements / r.ms);
    const limitRate = limit.elements / (limit.ms / 1000);
    const batches = middle(pedigreeRounds, (r) => r.batchElements / r.batchMs);
    const whole = middle(pedigreeRounds, (r) => 1 / (r.batchMs + r.deployMs));
    const rows: Row[] = [
      ingestRow(raw.name, limit, null),
      ingestRow('Pedigree `recordLineage` (up to 8,000 elements per call)', { ms: batches.batchMs, elements: batches.batchElements }, limitRate),
      ingestRow(
        `Pedigree, whole shape: the batches plus ${whole.deployments.toLocaleString('en')} \`deployModelVersion\` calls`,
        { ms: whole.batchMs + whole.deployMs, elements: whole.batchElements + 2 * whole.deployments },
        limitRate,
      ),
      ...storing.map((peer) => ingestRow(peer.name, pipelineLoad.peerIngests.get(peer)!, limitRate)),
    ];
    // @neo4j/graphql connects edges with one update mutation per source node: a smaller shape keeps it within minutes.
    for (const peer of sameDatabase) rows.push(ingestRow(`${peer.name}, on ${SMALL.name}`, await guarded(peer, () => peer.ingestBatched(SMALL)), limitRate));
    print({
      title: `Ingest in batches: ${shapes.pipelines.description}`,
      note:
        `Elements are nodes plus edges. Median of ${PLAN.ingestRounds} alternating rounds for the limit and Pedigree, one round for the other peers. ` +
        'Pedigree validates every field, deduplicates by natural keys, numbers versions and appends events and audit entries in the same transactions. ' +
        'Batches refuse deployments (release decisions, not recorded history), so Pedigree writes those with one `deployModelVersion` each; the hand-written limit writes them in its batches.',
      header: INGEST_HEADER,
      rows,
    });

    log(`ingest: ${PLAN.singleNodes} nodes one call each`);
    // Peers on this Neo4j take their turns with the limit and Pedigree; the others, each with a
    // store of its own, write after them.
    const alternating: Peer[] = sameDatabase.filter((peer) => peer.singleWriter);
    const [single, singlePedigree, ...alternated] = await alternatingSingles([
      await raw.singleWriter(shapes.pipelines, PLAN.singleNodes),
      await pedigree.singleWriter(shapes.pipelines, PLAN.singleNodes),
      ...(await Promise.all(alternating.map((peer) => peer.singleWriter!(shapes.pipelines, PLAN.singleNodes)))),
    ]);
    if (isUnsupported(single!)) throw new Error(`the limit's single writes failed: ${single!.unsupported}`);
    const singleRate = single!.elements / (single!.ms / 1000);
    const singleRows: Row[] = [ingestRow(`${raw.name}, one transaction per node`, single!, null), ingestRow('Pedigree, one mutation per node', singlePedigree!, singleRate)];
    alternating.forEach((peer, i) => singleRows.push(ingestRow(peer.name, alternated[i]!, singleRate)));
    for (const peer of others.filter((p) => !alternating.includes(p))) singleRows.push(ingestRow(peer.name, await guarded(peer, () => peer.ingestSingle(shapes.pipelines, PLAN.singleNodes)), singleRate));
    print({
      title: `Ingest one node per call: the first ${PLAN.singleNodes.toLocaleString('en')} nodes of the pipelines, sequentially`,
      note: `The limit, Pedigree and the peers on the same Neo4j (${alternating.map((p) => p.name).join(', ') || 'none'}) take turns of ${SINGLE_CHUNK} nodes (who goes first rotates), so all of them see the same machine; the peers with stores of their own run after them.`,
      header: INGEST_HEADER,
      rows: singleRows,
    });
  }

  const traversalTable = async (title: string, shape: Shape, asked: TraversalQuestion, note?: string) => {
    // A limit above the whole answer changes nothing: ask for everything, so that stores
    // without a nearest-first limit (MLMD) answer the same question.
    const whole = expectedReach(shape, { ...asked, limit: null });
    const question = asked.limit !== null && whole <= asked.limit ? { ...asked, limit: null } : asked;
    const expected = expectedReach(shape, question);
    const limit = await raw.traverse(shape, question, PLAN.runs);
    const limitMedian = isUnsupported(limit) ? null : summarize(limit.samples).median;
    const rows = [timedRow(raw.name, limit, null, expected)];
    log(`${title}: ${pedigree.name}`);
    rows.push(timedRow(pedigree.name, await pedigree.traverse(shape, question, PLAN.runs), limitMedian, expected));
    // Peers whose traversal answers only ids (the @cypher field) are compared with the same
    // question asked of the limit and of Pedigree, below the full answers; a count is a count.
    const idsOnly = question.countOnly ? [] : others.filter((peer) => peer.traversalAnswer === 'ids');
    for (const peer of others.filter((p) => !idsOnly.includes(p))) {
      log(`${title}: ${peer.name}`);
      rows.push(timedRow(peer.name, await guarded(peer, () => peer.traverse(shape, question, PLAN.runs)), limitMedian, expected));
    }
    if (idsOnly.length > 0) {
      const ids = { ...question, idsOnly: true };
      log(`${title}: ids only`);
      const idsLimit = await raw.traverse(shape, ids, PLAN.runs);
      const idsLimitMedian = isUnsupported(idsLimit) ? null : summarize(idsLimit.samples).median;
      rows.push(timedRow(`${raw.name}, ids only`, idsLimit, null, expected));
      rows.push(timedRow(`${pedigree.name}, ids only`, await pedigree.traverse(shape, ids, PLAN.runs), idsLimitMedian, expected));
      for (const peer of idsOnly) {
        log(`${title}: ${peer.name}`);
        rows.push(timedRow(peer.name, await guarded(peer, () => peer.traverse(shape, ids, PLAN.runs)), idsLimitMedian, expected));
      }
    }
    print({ title, ...(note ? { note } : {}), header: TIMED_HEADER, rows });
  };

  // ------------------------------------------------------------------ provenance
  if (only.has('provenance')) {
    await ensureLoaded(SMALL);
    await traversalTable(`Provenance of a model version: its checkpoint, training run and the run's inputs (depth 3) in ${SMALL.description}`, SMALL, { root: SMALL.roots['lastModel']!, direction: 'UPSTREAM', depth: 3, limit: 1_000 }, 'The one lineage question MLflow can answer: model version -> logged model -> source run -> dataset inputs.');
    await ensureLoaded(shapes.chain);
    for (const depth of [10, 50, 100, 1000]) {
      await traversalTable(`Deep provenance: upstream of the end of ${shapes.chain.description}, depth ${depth}`, shapes.chain, { root: shapes.chain.roots['top']!, direction: 'UPSTREAM', depth, limit: 10_000 });
    }
    await ensureLoaded(shapes.ladder);
    const ladderDepth = 2 * Number(shapes.ladder.name.split('-')[1]);
    await traversalTable(`Deep provenance: upstream of the top of ${shapes.ladder.description}`, shapes.ladder, { root: shapes.ladder.roots['top']!, direction: 'UPSTREAM', depth: ladderDepth, limit: 10_000 });
    if (size === 'L') {
      // recordLineage at the measured ~1,000 elements/s would take over an hour for 4M elements:
      // the big graph is written by the hand-written writer, in the shape Pedigree stores.
      log(`loading ${shapes.wide.name} with the hand-written writer`);
      const { ms, value } = await timeOnce(() => rawLoad(driver, shapes.wide));
      log(`loaded ${shapes.wide.name} in ${(ms / 1000).toFixed(0)} s`);
      loaded.set(shapes.wide.name, value);
      for (const peer of storing) {
        log(`loading ${shapes.wide.name} into ${peer.name}`);
        await guarded(peer, () => peer.ingestBatched(shapes.wide));
      }
    } else {
      await ensureLoaded(shapes.wide);
    }
    for (const limit of [1_000, 10_000]) {
      await traversalTable(`Deep provenance at scale: the nearest ${limit.toLocaleString('en')} upstream of the top of ${shapes.wide.description} (${shapes.wide.nodeCount.toLocaleString('en')} nodes)`, shapes.wide, { root: shapes.wide.roots['top']!, direction: 'UPSTREAM', depth: 1000, limit });
    }
  }

  // ------------------------------------------------------------------ provenance in a big store
  // Each peer's store holds every pipeline (Pedigree's database holds every shape): MLMD's
  // traversal time grows with its store, so a question on a small store alone flatters it.
  if (only.has('store')) {
    for (const depth of [10, 50]) {
      await traversalTable(
        `Provenance in a big store: upstream of the last model version of ${shapes.pipelines.description}, depth ${depth}`,
        shapes.pipelines,
        { root: shapes.pipelines.roots['lastModel']!, direction: 'UPSTREAM', depth, limit: 10_000 },
      );
    }
  }

  // ------------------------------------------------------------------ impact
  if (only.has('impact')) {
    await ensureLoaded(shapes.hub);
    await traversalTable(`Wide impact: how many nodes are downstream of ${shapes.hub.description}`, shapes.hub, { root: shapes.hub.roots['hub']!, direction: 'DOWNSTREAM', depth: 2, limit: null, countOnly: true });
    await traversalTable('Wide impact: the first 1,000 downstream of the hub', shapes.hub, { root: shapes.hub.roots['hub']!, direction: 'DOWNSTREAM', depth: 2, limit: 1_000 });
  }

  // ------------------------------------------------------------------ entities
  if (only.has('entities')) {
    const keys = Array.from({ length: Math.min(1_000, Number(shapes.pipelines.name.split('-')[1])) }, (_, p) => `p${p}.model`);
    const limit = await raw.lookup(shapes.pipelines, keys, PLAN.runs);
    const limitMedian = isUnsupported(limit) ? null : summarize(limit.samples).median;
    const rows = [timedRow(raw.name, limit, null, keys.length)];
    rows.push(timedRow(pedigree.name, await pedigree.lookup(shapes.pipelines, keys, PLAN.runs), limitMedian, keys.length));
    for (const peer of others) rows.push(timedRow(peer.name, await guarded(peer, () => peer.lookup(shapes.pipelines, keys, PLAN.runs)), limitMedian, keys.length));
    print({ title: `\`_entities\` with ${keys.length.toLocaleString('en')} ModelVersion keys in one request`, note: 'Fields: id, number, status, createdAt. Peers use their batch lookup by id.', header: TIMED_HEADER, rows });
  }

  // ------------------------------------------------------------------ floor
  if (only.has('floor')) {
    const ids = [...loadedOf(shapes.pipelines).ids.values()];
    const floorRow = async (name: string, read: (id: string) => Promise<unknown>, limitMedian: number | null) => {
      log(`floor: ${name}`);
      const { samples, perSecond } = await closedLoop((w, i) => read(ids[(w * 7919 + i) % ids.length]!), { concurrency: 16, seconds: PLAN.floorSeconds, warmupSeconds: 2 });
      const s = summarize(samples);
      return { median: s.median, row: { contender: name, cells: [fmtRate(perSecond), fmtMs(s.median), fmtMs(s.p99), limitMedian === null ? '1.00x (the limit)' : `${(s.median / limitMedian).toFixed(2)}x`] } };
    };
    const limit = await floorRow(raw.name, (id) => raw.trivialRead(id), null);
    const rows = [limit.row, (await floorRow('Pedigree `node(id) { id kind }`', (id) => pedigree.trivialRead(id), limit.median)).row];
    for (const peer of sameDatabase) rows.push((await floorRow(peer.name, (id) => peer.trivialRead(id, labelOf(id) as never), limit.median)).row);
    for (const peer of storing) rows.push({ contender: peer.name, cells: ['–', '–', '–', 'an in-process library, no request to compare'] });
    print({ title: 'Floor overhead: one node by id, 16 concurrent clients', header: ['requests/s', 'median ms', 'p99 ms', 'median vs hand-written'], rows });
  }

  // ------------------------------------------------------------------ training metrics
  if (only.has('metrics')) {
    for (const table of await compareMetricWrites({ post, driver, plan: PLAN.metrics, peers: others, log })) print(table);
  }

  // ------------------------------------------------------------------ fan-out
  if (only.has('fanout')) {
    const result = await runFanout({ neo4jUri, ...PLAN.fanout, log });
    const broadcast = result.results.find((r) => r.name === 'broadcast');
    print({
      title: `Subscription fan-out: ${PLAN.fanout.subscribers.toLocaleString('en')} subscribers, target ${PLAN.fanout.eventsPerSecond} events/s for ${PLAN.fanout.seconds} s`,
      note:
        'Commit-to-client latency: from the event\'s commit to each subscriber receiving it. Pedigree\'s commit time is the new version\'s `createdAt`, stamped by Neo4j when the creating statement runs, so its latency also counts the commit itself and the sequencer step; the broadcast\'s is when its server took the trigger. ' +
        '"From send" adds the wait between sending the mutation (or trigger) and its commit. Subscribers run in their own process with the same raw `ws` client for both. ' +
        `Each contender first gets ${PLAN.fanout.warmupSeconds} s of the same traffic, unmeasured. Writers (or triggers) keep at most 16 in flight; "achieved" is the rate they reached.`,
      header: ['achieved events/s', 'delivered / expected', 'p50 ms', 'p99 ms', 'max ms', 'from send p50 / p99 ms', 'mutation p99 ms', 'server peak MB', 'p99 vs broadcast'],
      rows: result.results.map((r) => ({
        contender: r.name === 'broadcast' ? 'bare `ws` broadcast of a pre-serialized frame (the limit)' : 'Pedigree `versionEvents` over graphql-ws',
        cells: [
          r.achievedPerSecond.toFixed(1),
          `${r.delivered.toLocaleString('en')} / ${r.expected.toLocaleString('en')}${r.lost > 0 ? ` (${r.lost} lost)` : ''}`,
          fmtMs(r.p50Ms),
          fmtMs(r.p99Ms),
          fmtMs(r.maxMs),
          `${fmtMs(r.sendP50Ms)} / ${fmtMs(r.sendP99Ms)}`,
          r.name === 'broadcast' ? '–' : fmtMs(r.roundTripP99Ms),
          r.serverRssPeakMb.toFixed(0),
          broadcast ? `${(r.p99Ms / broadcast.p99Ms).toFixed(2)}x` : '–',
        ],
      })),
    });
  }

  // ------------------------------------------------------------------ memory
  if (only.has('memory')) {
    log(`memory: mixed load for ${PLAN.mixedSeconds} s`);
    print(await runMixedLoad({ gateway, seconds: PLAN.mixedSeconds, pipelines: loadedOf(shapes.pipelines), log }));
  }
}

interface Peers {
  /** Peers that keep their own copy of every shape (MLMD, MLflow). */
  readonly storing: Peer[];
  /** Peers that read Pedigree's copy on the same Neo4j (@neo4j/graphql, nested and @cypher). */
  readonly sameDatabase: Neo4jGraphQLPeer[];
}

async function startPeers(neo4jUri: string, loadedOf: (shape: Shape) => Loaded): Promise<Peers> {
  log('starting peers (the first run creates Python virtual environments under bench/.venv)');
  // In parallel: on a first run each creates its virtual environment (pip spends most of it waiting).
  const storing = await Promise.all([startMlmdPeer(log), startMlflowPeer(log)]);
  const sameDatabase: Neo4jGraphQLPeer[] = [];
  for (const mode of ['nested', 'cypher'] as const) {
    sameDatabase.push(
      await startNeo4jGraphQLPeer({
        uri: neo4jUri,
        user: process.env['NEO4J_USER'] ?? 'neo4j',
        password: process.env['NEO4J_PASSWORD'] ?? 'neo4j',
        mode,
        timeoutMs: PLAN.peerTimeoutMs,
        keyToId: (key, shape) => loadedOf(shape).ids.get(key)!,
        log,
      }),
    );
  }
  return { storing, sameDatabase };
}

function header(): string {
  return [
    `# Pedigree benchmark results (--size ${size})`,
    '',
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench${size === 'L' ? ' -- --size L' : ''}\`, in ${((Date.now() - started) / 60_000).toFixed(1)} minutes. Medians and p99 over ${PLAN.runs} timed runs after 2 warm-up runs (1 for the Python peers), or fewer for a slow contender: it stops after ${PLAN.runBudgetMs / 1000} s of timed runs, with at least ${MIN_RUNS}; every contender in the same run on the same machine and, for Neo4j-based ones, the same database.`,
    '',
    ...machineDescription().map((line) => `- ${line}`),
    `- ${neo4jVersion} (embedded from neo4j/ unless NEO4J_URI was set), heap ${PLAN.heap}, page cache ${PLAN.pagecache}`,
    `- code: ${CODE_VERSION}`,
    '',
    'How to read these tables:',
    '- [bench/README.md](README.md) describes the method and how to read the results.',
    '- The hand-written Cypher and Pedigree return the same fields: ids, kinds, creation times, depths and the edges among the nodes.',
    '- `@neo4j/graphql (nested)` returns each node\'s id and creation time in a tree whose relationship fields give the edges and depths: the same question. It runs with APOC Core, which it requires for DateTime fields.',
    '- `@neo4j/graphql (@cypher)` returns only the nodes\' ids, nearest first: no depths, no edges, no per-node fields. That is a smaller question, so each traversal table asks it of the hand-written Cypher and of Pedigree too (the rows marked "ids only", with `nodes { node { id } }`), and the `@cypher` row\'s ratio is against the hand-written ids-only query.',
    '- MLMD and MLflow are timed inside Python, so the process pipe is not counted.',
    '',
  ].join('\n');
}


await main();
writeFileSync(out, `${header()}\n${tables.map(renderTable).join('\n')}`);
log(`wrote ${out}`);
