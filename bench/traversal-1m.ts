/**
 * Traversal benchmark (docs/architecture.md): `node bench/traversal-1m.ts`.
 *
 * 1. PROFILE db hits of a full upstream traversal of diamond ladders (2^layers paths) of
 *    growing size: the cost per layer stays flat (skip with BENCH_LADDERS=0).
 * 2. Pedigree's `upstream`/`downstream` over GraphQL (HTTP, admin bearer token) next to the
 *    best hand-written Cypher for the same answer through the same driver: the same hits,
 *    depths, node fields and edges (see FULL below). Scenarios (BENCH_ONLY=wide,chain,hub):
 *    - wide: a ~1M-node lineage graph (BENCH_WIDTH x BENCH_LAYERS, default 1000 x 500:
 *      layers of runs that each USE two dataset versions of the layer below and GENERATE one)
 *      whose top evaluation run reaches every node upstream; limit 1000 and 10000;
 *    - chain: a fine-tuning chain 1,000 hops deep, maxDepth 10, 100, 1000;
 *    - hub: a dataset version used by 10,000 runs, downstream ids of all (count) and the
 *      first 1,000 with fields and edges.
 * 3. cycle: the acyclicity check that every lineage-adding write runs in its transaction, on
 *    the wide graph (BENCH_ONLY=cycle builds it without timing the traversals): a new output
 *    of the top run (whose upstream is the whole graph), an edge that closes a 1,000-hop
 *    cycle, and an edge between the middle layers (both ends' reach about half the graph).
 *
 * Starts its own embedded Neo4j in a temporary directory unless NEO4J_URI is set (then it
 * writes into that database). Prints markdown; not a test.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import neo4j, { type Driver } from 'neo4j-driver';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/domain/ids.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import type { Executor, Tx } from '../src/neo4j/executor.ts';
import { startGateway } from '../src/server.ts';
import { traverseLineage } from '../src/lineage/traversal.ts';
import { firstCycle } from '../src/neo4j/queries/lineage.ts';
import { createFineTuningChain, insertLineage } from '../test/support/lineage-graphs.ts';

const WIDTH = Number(process.env['BENCH_WIDTH'] ?? 1000);
const LAYERS = Number(process.env['BENCH_LAYERS'] ?? 500);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const ONLY = new Set((process.env['BENCH_ONLY'] ?? 'wide,chain,hub').split(','));
const LADDERS = process.env['BENCH_LADDERS'] === '0' ? [] : [10, 20, 40, 80, 160];
const REL = 'USED|GENERATED_BY|DERIVED_FROM|DEPLOYS';
/** The bench's own server-wide admin credential (the gateway requires a bearer token). */
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const log = (line: string) => console.error(`bench: ${line}`);

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '3g', pagecache: '2g', log });
  const uri = database.uri;
  const config = loadConfig(
    { ...process.env, NEO4J_URI: uri, PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const gateway = await startGateway({ config, neo4jUri: uri });
  try {
    await gateway.ready;
    const project = `prj_bench${Date.now().toString(16)}`;
    const post = poster(gateway.url);
    if (LADDERS.length) await ladderHits(gateway.driver, project);
    if (ONLY.has('chain')) await chainGraph(gateway.driver, post, `${project}c`);
    if (ONLY.has('hub')) await hubGraph(gateway.driver, post, `${project}h`);
    if (ONLY.has('wide') || ONLY.has('cycle')) await wideGraph(gateway.driver, gateway.executor, post, `${project}w`);
  } finally {
    await gateway.stop();
    await database.stop();
  }
}

// ---------------------------------------------------------------- diamond ladders

async function ladderHits(driver: Driver, project: string): Promise<void> {
  console.log('## Diamond ladders: PROFILE db hits of a full upstream traversal\n');
  console.log('| layers | distinct paths | nodes returned | db hits (reach + edges) | db hits per layer | with asOf |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const layers of LADDERS) {
    const top = await createLadder(driver, project, layers);
    const now = await profiledTraversal(driver, top, null);
    const asOf = await profiledTraversal(driver, top, new Date().toISOString());
    console.log(`| ${layers} | 2^${layers} | ${now.nodes} | ${now.hits} | ${(now.hits / layers).toFixed(1)} | ${asOf.hits} |`);
  }
  console.log();
}

async function createLadder(driver: Driver, project: string, layers: number): Promise<string> {
  const tag = newId('DatasetVersion').slice(4, 16);
  await driver.executeQuery(
    `UNWIND range(0, $layers) AS i UNWIND [0, 1] AS k
     CREATE (:DatasetVersion:LineageNode {id: 'dsv_' + $tag + '_' + i + '_' + k, projectId: $project, datasetId: 'ds_' + $tag,
       number: 2 * i + k + 1, digest: 'd' + i + k, uri: 's3://x', propertiesJson: '{}', createdAt: datetime()})`,
    { layers: neo4j.int(layers), tag, project },
  );
  await driver.executeQuery(
    `UNWIND range(1, $layers) AS i UNWIND [0, 1] AS k
     MATCH (a:DatasetVersion {id: 'dsv_' + $tag + '_' + (i - 1) + '_0'}), (b:DatasetVersion {id: 'dsv_' + $tag + '_' + (i - 1) + '_1'}),
           (o:DatasetVersion {id: 'dsv_' + $tag + '_' + i + '_' + k})
     CREATE (r:Run:LineageNode {id: 'run_' + $tag + '_' + i + '_' + k, projectId: $project, name: 'r', type: 'TRAINING', status: 'COMPLETED',
       paramsJson: '{}', summaryMetricsJson: '{}', fingerprint: 'f', createdAt: datetime(), startedAt: datetime()})
     CREATE (r)-[:USED {role: 'a', createdAt: datetime()}]->(a), (r)-[:USED {role: 'b', createdAt: datetime()}]->(b),
            (o)-[:GENERATED_BY {role: 'out', createdAt: datetime()}]->(r)`,
    { layers: neo4j.int(layers), tag, project },
  );
  return `dsv_${tag}_${layers}_0`;
}

interface Plan {
  dbHits: number;
  children: Plan[];
}
const planHits = (plan: Plan): number => plan.dbHits + plan.children.reduce((sum, child) => sum + planHits(child), 0);

async function profiledTraversal(driver: Driver, root: string, asOf: string | null): Promise<{ hits: number; nodes: number }> {
  let hits = 0;
  const tx: Tx = {
    unit: 'bench.profile',
    async run(query, params) {
      const result = await driver.executeQuery(`PROFILE ${query}`, params ?? {}, { routing: 'READ' });
      hits += planHits(result.summary.profile as unknown as Plan);
      return result.records;
    },
  };
  const executor: Executor = { read: (_u, work) => work(tx), readOne: (_u, work) => work(tx), writeOne: (_u, work) => work(tx), write: (_u, work) => work(tx), observed: () => executor };
  const graph = await traverseLineage(executor, { id: root }, 'UPSTREAM', { maxDepth: 1000, limit: 10_000, asOf });
  return { hits, nodes: graph.hits.length };
}

// ---------------------------------------------------------------- timed traversals

/**
 * What every GraphQL traversal below selects, and what the hand-written Cypher returns for
 * it: per hit its depth, id, kind, createdAt and one label-specific scalar; per edge its ends,
 * kind and role.
 */
const NODE_FIELDS = 'id kind createdAt ... on Run { status } ... on DatasetVersion { digest } ... on Checkpoint { step }';
const FULL = `truncated nodes { depth node { ${NODE_FIELDS} } } edges { from to kind role }`;
const IDS = 'truncated nodes { depth node { id } }';

interface Question {
  readonly root: string;
  readonly direction: 'UPSTREAM' | 'DOWNSTREAM';
  readonly maxDepth: number;
  readonly limit: number;
  /** FULL: node fields and edges; IDS: ids and depths only. */
  readonly selection: typeof FULL | typeof IDS;
}

interface TraversalData {
  readonly node: Record<string, { readonly nodes: readonly unknown[] }>;
}
type Post = (query: string, variables: Record<string, unknown>) => Promise<TraversalData>;

function poster(url: string): Post {
  return async (query, variables) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: TraversalData; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
}

/** Pedigree over HTTP; returns the number of hits. */
const viaGraphQL = (post: Post, q: Question) => async () => {
  const field = q.direction === 'UPSTREAM' ? 'upstream' : 'downstream';
  const data = await post(`query($id: ID!) { node(id: $id) { ${field}(maxDepth: ${q.maxDepth}, limit: ${q.limit}) { ${q.selection} } } }`, { id: q.root });
  return data.node[field]!.nodes.length;
};

/**
 * The best hand-written Cypher for the same answer through the same driver: the nearest
 * `limit` nodes with minimum depths (one more row and one hop deeper, to know whether
 * anything was cut, as Pedigree does), with the same node fields (datetimes as epoch
 * milliseconds, the cheapest to decode), then the lineage edges among them when the
 * selection asks for edges.
 */
const byHand = (driver: Driver, q: Question) => async () => {
  const hops = `[:${REL}*1..${q.maxDepth + 1}]`;
  const pattern = q.direction === 'UPSTREAM' ? `-${hops}->` : `<-${hops}-`;
  const fields = q.selection === FULL ? ', labels(n) AS labels, n.createdAt.epochMillis AS createdAt, n.status AS status, n.digest AS digest, n.step AS step' : '';
  const { records } = await driver.executeQuery(
    `MATCH (root:LineageNode {id: $id}) MATCH p = (root)${pattern}(n)
     WITH n, min(length(p)) AS depth ORDER BY depth, n.id LIMIT $take
     RETURN n.id AS id, depth${fields}`,
    { id: q.root, take: neo4j.int(q.limit + 1) },
    { routing: 'READ' },
  );
  const hits = records.filter((r) => Number(r.get('depth')) <= q.maxDepth).slice(0, q.limit);
  if (q.selection === FULL) {
    const ids = [q.root, ...hits.map((r) => r.get('id') as string)];
    const members = new Set(ids);
    const edges = await driver.executeQuery(
      `UNWIND $ids AS id MATCH (a:LineageNode {id: id})-[r:${REL}]->(b) RETURN a.id AS from, b.id AS to, type(r) AS kind, r.role AS role`,
      { ids },
      { routing: 'READ' },
    );
    edges.records.filter((r) => members.has(r.get('to') as string));
  }
  return hits.length;
};

interface Row {
  readonly name: string;
  readonly question: Question;
}

async function compare(title: string, driver: Driver, post: Post, rows: readonly Row[]): Promise<void> {
  console.log(`## ${title}\n`);
  console.log(`median and max of ${RUNS} runs after one warm-up, alternating contenders; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| question | rows | hand-written median ms | Pedigree GraphQL median ms | max ms (hand / GraphQL) | ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const { name, question } of rows) {
    const [hand, graphql] = await timeBoth(byHand(driver, question), viaGraphQL(post, question));
    if (hand.returned !== graphql.returned) throw new Error(`${name}: hand-written returned ${hand.returned}, GraphQL ${graphql.returned}`);
    console.log(
      `| ${name} | ${graphql.returned} | ${hand.median.toFixed(1)} | ${graphql.median.toFixed(1)} | ${hand.max.toFixed(0)} / ${graphql.max.toFixed(0)} | ${(graphql.median / hand.median).toFixed(2)}x |`,
    );
  }
  console.log();
}

async function wideGraph(driver: Driver, executor: Executor, post: Post, project: string): Promise<void> {
  const started = performance.now();
  const top = await createWideGraph(driver, project);
  const { records } = await driver.executeQuery('MATCH (n:LineageNode {projectId: $project}) RETURN count(n) AS n', { project });
  const nodeCount = Number(records[0]!.get('n'));
  log(`built ${nodeCount} nodes in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await cycleChecks(driver, executor, project, top);
  if (!ONLY.has('wide')) return;
  const up = (limit: number): Question => ({ root: top, direction: 'UPSTREAM', maxDepth: 1000, limit, selection: FULL });
  await compare(`Upstream of the top of a ${nodeCount.toLocaleString('en')}-node graph (${WIDTH} x ${LAYERS} layers)`, driver, post, [
    { name: 'upstream(maxDepth: 1000, limit: 1000)', question: up(1000) },
    { name: 'upstream(maxDepth: 1000, limit: 10000)', question: up(10_000) },
  ]);
  const module = await timeBoth(
    async () => (await traverseLineage(executor, { id: top }, 'UPSTREAM', { maxDepth: 1000, limit: 1000 })).hits.length,
    async () => (await traverseLineage(executor, { id: top }, 'UPSTREAM', { maxDepth: 1000, limit: 10_000 })).hits.length,
  );
  console.log(`traversal module alone (no GraphQL, no HTTP): limit 1000 ${module[0].median.toFixed(1)} ms, limit 10000 ${module[1].median.toFixed(1)} ms\n`);
}

/** The cost of `firstCycle` for edges into the wide graph (read transaction; the check needs no stored edge). */
async function cycleChecks(driver: Driver, executor: Executor, project: string, top: string): Promise<void> {
  const tag = top.slice(4, -4);
  const fresh = newId('DatasetVersion');
  await driver.executeQuery(
    `CREATE (:DatasetVersion:LineageNode {id: $fresh, projectId: $project, datasetId: 'ds_' + $tag, number: 0, digest: 'x', uri: 's3://x', propertiesJson: '{}', createdAt: datetime()})`,
    { fresh, project, tag },
  );
  const middle = Math.floor(LAYERS / 2) * WIDTH;
  const rows = [
    { name: 'new output of the top run (upstream: whole graph), no cycle', edge: { from: fresh, to: top }, cycle: false },
    { name: `raw dataset version -> top run: closes a ${2 * LAYERS + 2}-hop cycle`, edge: { from: `dsv_${tag}_0`, to: top }, cycle: true },
    { name: 'middle-layer dataset version -> middle-layer run, no cycle', edge: { from: `dsv_${tag}_${middle + 1}`, to: `run_${tag}_${middle + 3}` }, cycle: false },
  ];
  console.log(`## Cycle check on the ${WIDTH} x ${LAYERS} graph (firstCycle, one edge, module call)\n`);
  console.log(`median and max of ${RUNS} runs after one warm-up; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| edge | cycle found | median ms | max ms |');
  console.log('|---|---|---:|---:|');
  for (const { name, edge, cycle } of rows) {
    const check = async () => ((await executor.read('bench.cycle', (tx) => firstCycle(tx, [edge]))) ? 1 : 0);
    const [timing] = await timeBoth(check, async () => 0);
    if (timing.returned !== (cycle ? 1 : 0)) throw new Error(`${name}: expected cycle ${cycle}`);
    console.log(`| ${name} | ${cycle ? 'yes' : 'no'} | ${timing.median.toFixed(1)} | ${timing.max.toFixed(0)} |`);
  }
  console.log();
}

async function chainGraph(driver: Driver, post: Post, project: string): Promise<void> {
  const chain = await createFineTuningChain(driver, project, 1000);
  const up = (maxDepth: number): Question => ({ root: chain.top, direction: 'UPSTREAM', maxDepth, limit: 1000, selection: FULL });
  await compare('Upstream of the top of a fine-tuning chain 1,000 hops deep', driver, post, [
    { name: 'upstream(maxDepth: 10)', question: up(10) },
    { name: 'upstream(maxDepth: 100)', question: up(100) },
    { name: 'upstream(maxDepth: 1000)', question: up(1000) },
  ]);
}

/** One dataset version that 10,000 training runs USE; each run GENERATES a checkpoint. */
async function hubGraph(driver: Driver, post: Post, project: string): Promise<void> {
  const hub = newId('DatasetVersion');
  const runs = Array.from({ length: 10_000 }, () => newId('Run'));
  const checkpoints = runs.map((runId) => ({ id: newId('Checkpoint'), runId, step: 1 }));
  await insertLineage(driver, project, {
    datasetVersions: [hub],
    runs,
    checkpoints,
    edges: runs.flatMap((run, i) => [
      { from: run, to: hub, type: 'USED' as const, role: 'train' },
      { from: checkpoints[i]!.id, to: run, type: 'GENERATED_BY' as const, role: 'checkpoint' },
    ]),
  });
  await compare('Downstream of a dataset version used by 10,000 runs (each generating a checkpoint)', driver, post, [
    { name: 'count: downstream(maxDepth: 1, limit: 10000), ids and depths', question: { root: hub, direction: 'DOWNSTREAM', maxDepth: 1, limit: 10_000, selection: IDS } },
    { name: 'first 1,000: downstream(maxDepth: 2, limit: 1000), fields and edges', question: { root: hub, direction: 'DOWNSTREAM', maxDepth: 2, limit: 1000, selection: FULL } },
  ]);
}

interface Timing {
  readonly median: number;
  readonly max: number;
  readonly returned: number;
}

/** One warm-up each, then RUNS rounds alternating the two, so both see the same machine load. */
async function timeBoth(a: () => Promise<number>, b: () => Promise<number>): Promise<[Timing, Timing]> {
  const returned = [await a(), await b()] as const;
  const samples: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const [k, fn] of [a, b].entries()) {
      const start = performance.now();
      await fn();
      samples[k]!.push(performance.now() - start);
    }
  }
  const timing = (k: 0 | 1): Timing => {
    const sorted = [...samples[k]].sort((x, y) => x - y);
    return { median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)!, returned: returned[k] };
  };
  return [timing(0), timing(1)];
}

/**
 * Dataset layer 0 is raw; run layer i (1..LAYERS) has WIDTH runs, run j USES dataset versions
 * j and j+1 (mod WIDTH) of layer i-1 and GENERATES dataset version j of layer i. One
 * evaluation run on top USES every dataset version of the last layer.
 */
async function createWideGraph(driver: Driver, project: string): Promise<string> {
  const tag = newId('Run').slice(4, 16);
  const batch = Math.max(1, Math.floor(10_000 / WIDTH));
  for (let from = 0; from <= LAYERS; from += batch) {
    const to = Math.min(LAYERS, from + batch - 1);
    await driver.executeQuery(
      `UNWIND range($from * $w, ($to + 1) * $w - 1) AS k
       CREATE (:DatasetVersion:LineageNode {id: 'dsv_' + $tag + '_' + k, projectId: $project, datasetId: 'ds_' + $tag, number: k + 1,
         digest: 'd' + k, uri: 's3://x', propertiesJson: '{}', createdAt: datetime()})`,
      { from: neo4j.int(from), to: neo4j.int(to), w: neo4j.int(WIDTH), tag, project },
    );
  }
  for (let from = 1; from <= LAYERS; from += batch) {
    const to = Math.min(LAYERS, from + batch - 1);
    await driver.executeQuery(
      `UNWIND range($from * $w, ($to + 1) * $w - 1) AS k
       WITH k, k / $w AS i, k % $w AS j
       MATCH (a:DatasetVersion {id: 'dsv_' + $tag + '_' + ((i - 1) * $w + j)}),
             (b:DatasetVersion {id: 'dsv_' + $tag + '_' + ((i - 1) * $w + (j + 1) % $w)}),
             (o:DatasetVersion {id: 'dsv_' + $tag + '_' + k})
       CREATE (r:Run:LineageNode {id: 'run_' + $tag + '_' + k, projectId: $project, name: 'r', type: 'TRAINING', status: 'COMPLETED',
         paramsJson: '{}', summaryMetricsJson: '{}', fingerprint: 'f', createdAt: datetime(), startedAt: datetime()})
       CREATE (r)-[:USED {role: 'a', createdAt: datetime()}]->(a), (r)-[:USED {role: 'b', createdAt: datetime()}]->(b),
              (o)-[:GENERATED_BY {role: 'out', createdAt: datetime()}]->(r)`,
      { from: neo4j.int(from), to: neo4j.int(to), w: neo4j.int(WIDTH), tag, project },
    );
    if (from % 50 === 1) log(`layer ${from}/${LAYERS}`);
  }
  const top = `run_${tag}_top`;
  await driver.executeQuery(
    `CREATE (r:Run:LineageNode {id: $top, projectId: $project, name: 'evaluate', type: 'EVALUATION', status: 'COMPLETED',
       paramsJson: '{}', summaryMetricsJson: '{}', fingerprint: 'f', createdAt: datetime(), startedAt: datetime()})
     WITH r UNWIND range($layers * $w, ($layers + 1) * $w - 1) AS k
     MATCH (d:DatasetVersion {id: 'dsv_' + $tag + '_' + k})
     CREATE (r)-[:USED {role: 'eval', createdAt: datetime()}]->(d)`,
    { top, project, tag, layers: neo4j.int(LAYERS), w: neo4j.int(WIDTH) },
  );
  return top;
}

await main();
