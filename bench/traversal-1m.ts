/**
 * Traversal benchmark (issue 4): `node bench/traversal-1m.ts`.
 *
 * 1. PROFILE db hits of a full upstream traversal of diamond ladders (2^layers paths) of
 *    growing size: the cost per layer stays flat.
 * 2. A ~1M-node lineage graph (BENCH_WIDTH x BENCH_LAYERS, default 1000 x 500: layers of runs
 *    that each USE two dataset versions of the layer below and GENERATE one) whose top
 *    evaluation run reaches every node upstream. Times, on the same driver and database:
 *    Pedigree's `upstream` over GraphQL (HTTP), the traversal module alone, and the best
 *    hand-written Cypher for the same answer (nearest `limit` nodes with minimum depths),
 *    and for counting the whole reachable set.
 *
 * Starts its own embedded Neo4j in a temporary directory unless NEO4J_URI is set (then it
 * writes into that database). Prints markdown; not a test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import neo4j, { type Driver } from 'neo4j-driver';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/ids.ts';
import { ensureBuilt, startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/neo4j/embedded.ts';
import type { Executor, Tx } from '../src/neo4j/executor.ts';
import { startGateway } from '../src/server.ts';
import { traverseLineage } from '../src/traversal/lineage.ts';

const WIDTH = Number(process.env['BENCH_WIDTH'] ?? 1000);
const LAYERS = Number(process.env['BENCH_LAYERS'] ?? 500);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const LADDERS = [10, 20, 40, 80, 160];
const REL = 'USED|GENERATED_BY|DERIVED_FROM|DEPLOYS';

const log = (line: string) => console.error(`bench: ${line}`);

async function main(): Promise<void> {
  let embedded: EmbeddedNeo4j | null = null;
  let dataDir: string | null = null;
  let uri = process.env['NEO4J_URI'];
  if (!uri) {
    ensureBuilt(log);
    dataDir = await mkdtemp(join(tmpdir(), 'pedigree-bench-'));
    embedded = await startEmbeddedNeo4j({ port: 17000 + Math.floor(Math.random() * 2000), dataDir, heap: '3g', pagecache: '2g', tieToParent: true });
    uri = embedded.uri;
  }
  const config = loadConfig({ ...process.env, NEO4J_URI: uri }, { port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const gateway = await startGateway({ config, neo4jUri: uri });
  try {
    await gateway.ready;
    const project = `prj_bench${Date.now().toString(16)}`;
    await ladderHits(gateway.driver, project);
    await millionNodes(gateway.driver, gateway.executor, gateway.url, `${project}w`);
  } finally {
    await gateway.stop();
    await embedded?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
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
  const executor: Executor = { read: (_u, work) => work(tx), write: (_u, work) => work(tx), observed: () => executor };
  const graph = await traverseLineage(executor, { id: root }, 'UPSTREAM', { maxDepth: 1000, limit: 10_000, asOf });
  return { hits, nodes: graph.hits.length };
}

// ---------------------------------------------------------------- ~1M nodes

async function millionNodes(driver: Driver, executor: Executor, url: string, project: string): Promise<void> {
  const started = performance.now();
  const top = await createWideGraph(driver, project);
  const { records } = await driver.executeQuery('MATCH (n:LineageNode {projectId: $project}) RETURN count(n) AS n', { project });
  const nodeCount = Number(records[0]!.get('n'));
  log(`built ${nodeCount} nodes in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const graphql = (limit: number) => `query($id: ID!) { node(id: $id) { upstream(maxDepth: 1000, limit: ${limit}) {
    truncated nodes { depth node { id kind } } edges { from to kind } } } }`;
  const viaGraphQL = (limit: number) => async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: graphql(limit), variables: { id: top } }) });
    const body = (await response.json()) as { data?: { node: { upstream: { nodes: unknown[] } } }; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!.node.upstream.nodes.length;
  };
  const viaModule = (limit: number) => async () => (await traverseLineage(executor, { id: top }, 'UPSTREAM', { maxDepth: 1000, limit })).hits.length;
  // The same answer by hand: nearest `limit` with minimum depths, one more row to know whether anything was cut.
  const handNearest = (limit: number) => async () =>
    (await driver.executeQuery(
      `MATCH p = (root:LineageNode {id: $id})-[:${REL}*1..1000]->(n)
       WITH n, min(length(p)) AS depth ORDER BY depth LIMIT $take
       RETURN n.id AS id, depth`,
      { id: top, take: neo4j.int(limit + 1) }, { routing: 'READ' },
    )).records.length;
  const nearestIds = (await driver.executeQuery(
    `MATCH p = (root:LineageNode {id: $id})-[:${REL}*1..1000]->(n) WITH n, min(length(p)) AS depth ORDER BY depth LIMIT 1000 RETURN n.id AS id`,
    { id: top }, { routing: 'READ' },
  )).records.map((r) => r.get('id') as string);
  const handEdges = async () =>
    (await driver.executeQuery(
      `UNWIND $ids AS id MATCH (a:LineageNode {id: id})-[r:${REL}]->(b) RETURN a.id AS from, b.id AS to, type(r) AS kind`,
      { ids: [top, ...nearestIds] }, { routing: 'READ' },
    )).records.length;
  const handReach = async () =>
    Number((await driver.executeQuery(`MATCH (root:LineageNode {id: $id})-[:${REL}*1..1000]->(n) RETURN count(DISTINCT n) AS n`, { id: top }, { routing: 'READ' })).records[0]!.get('n'));

  const reached = await handReach();
  console.log(`## Upstream of the top of a ${nodeCount.toLocaleString('en')}-node graph (${WIDTH} x ${LAYERS} layers; ${reached.toLocaleString('en')} nodes reachable within 1000 hops)\n`);
  console.log(`median and max of ${RUNS} runs after one warm-up; ${new Date().toISOString().slice(0, 10)}\n`);
  console.log('| what | rows | median ms | max ms | vs hand-written, same limit |');
  console.log('|---|---:|---:|---:|---:|');
  const rows: Array<[string, () => Promise<number>, string | null]> = [
    ['hand-written Cypher: nearest 1000 with min depth (LIMIT 1001)', handNearest(1000), null],
    ['Pedigree traversal module, limit 1000 (reach + edges, one read tx)', viaModule(1000), 'hand-written Cypher: nearest 1000 with min depth (LIMIT 1001)'],
    ['Pedigree GraphQL `upstream(maxDepth: 1000, limit: 1000)`, nodes hydrated', viaGraphQL(1000), 'hand-written Cypher: nearest 1000 with min depth (LIMIT 1001)'],
    ['hand-written Cypher: outgoing lineage edges of root + nearest 1000 (ids given)', handEdges, null],
    ['hand-written Cypher: nearest 10000 with min depth (LIMIT 10001)', handNearest(10_000), null],
    ['Pedigree GraphQL `upstream(maxDepth: 1000, limit: 10000)`, nodes hydrated', viaGraphQL(10_000), 'hand-written Cypher: nearest 10000 with min depth (LIMIT 10001)'],
    ['hand-written Cypher: count(DISTINCT) of the whole reachable set', handReach, null],
  ];
  const medians = new Map<string, number>();
  for (const [name, fn, baseline] of rows) {
    const { median, max, returned } = await time(fn);
    medians.set(name, median);
    const ratio = baseline ? `${(median / medians.get(baseline)!).toFixed(2)}x` : '';
    console.log(`| ${name} | ${returned} | ${median.toFixed(0)} | ${max.toFixed(0)} | ${ratio} |`);
  }
}

async function time(fn: () => Promise<number>): Promise<{ median: number; max: number; returned: number }> {
  const returned = await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)]!, max: samples.at(-1)!, returned };
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
