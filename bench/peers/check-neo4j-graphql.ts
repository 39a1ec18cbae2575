/**
 * `node bench/peers/check-neo4j-graphql.ts [--big]`: a manual check of the @neo4j/graphql
 * peer. Starts a throwaway embedded Neo4j (or uses NEO4J_URI) and a Pedigree gateway
 * in-process, loads shapes through `recordLineage` (bench/lib/load-pedigree.ts), then asks
 * the peer (nested and @cypher) and Pedigree the same questions over HTTP, prints counts
 * and medians, and throws when a count differs from Pedigree's. `--big` asks the benchmark's
 * questions instead: upstream of chain(1000) at depth 10 and 100, downstream of hub(10000),
 * `_entities` of 1,000 model versions (pipelines(1000)).
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.ts';
import { benchNeo4j } from '../lib/neo4j.ts';
import { ensureApoc } from './apoc.ts';
import { startGateway } from '../../src/server.ts';
import { fetchOnce } from '../lib/gateway.ts';
import { loadShape, type Post } from '../lib/load-pedigree.ts';
import { chain, hub, ladder, pipelines, type Shape } from '../lib/shapes.ts';
import { startNeo4jGraphQLPeer, type Neo4jGraphQLPeer } from './neo4j-graphql.ts';
import { isUnsupported, type Outcome, type Timed, type TraversalQuestion } from './types.ts';

const BIG = process.argv.includes('--big');
const RUNS = BIG ? 10 : 5;
const TOKEN = 'bench-admin-token-0123456789';

interface Question extends TraversalQuestion {
  readonly shape: Shape;
}

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '1g', pagecache: '256m', plugins: await ensureApoc(console.error) });
  const uri = database.uri;
  const config = loadConfig(
    { ...process.env, NEO4J_URI: uri, PEDIGREE_ADMIN_TOKEN: TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0', PEDIGREE_MAX_COST: '100000000' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const gateway = await startGateway({ config, neo4jUri: uri });
  const peers: Neo4jGraphQLPeer[] = [];
  try {
    await gateway.ready;
    const post: Post = async <T>(query: string, variables: Record<string, unknown>) => {
      const response = await fetchOnce(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 1000));
      return body.data as T;
    };

    const shapes = BIG ? { chain: chain(1000), hub: hub(10_000), pipelines: pipelines(1000) } : { chain: chain(200), ladder: ladder(10), hub: hub(1000), pipelines: pipelines(50) };
    const idsByShape = new Map<Shape, Map<string, string>>();
    for (const shape of Object.values(shapes)) {
      const start = performance.now();
      const name = `bench-${shape.name}-${Date.now()}`;
      const project = await post<{ createProject: { id: string } }>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: name });
      idsByShape.set(shape, await loadShape(post, project.createProject.id, shape));
      console.log(`loaded ${shape.name} (${shape.nodeCount} nodes, ${shape.edgeCount} edges) through recordLineage in ${Math.round(performance.now() - start)} ms`);
    }
    const keyToId = (key: string, shape: Shape) => {
      const id = idsByShape.get(shape)?.get(key);
      if (id === undefined) throw new Error(`no id for ${shape.name}/${key}`);
      return id;
    };
    const options = { uri, user: config.neo4j.user, password: config.neo4j.password, database: config.neo4j.database, keyToId, log: (l: string) => console.log(l) };
    const nested = await startNeo4jGraphQLPeer({ ...options, mode: 'nested' });
    peers.push(nested);
    const cypher = await startNeo4jGraphQLPeer({ ...options, mode: 'cypher' });
    peers.push(cypher);

    const questions: Question[] = BIG
      ? [
          { shape: shapes.chain, root: shapes.chain.roots['top']!, direction: 'UPSTREAM', depth: 10, limit: null },
          { shape: shapes.chain, root: shapes.chain.roots['top']!, direction: 'UPSTREAM', depth: 100, limit: null },
          // Pedigree answers at most 10,000 nodes (MAX_LIMIT): the hub's 20,000 come in pages.
          { shape: shapes.hub, root: 'hub', direction: 'DOWNSTREAM', depth: 2, limit: 1000 },
          { shape: shapes.hub, root: 'hub', direction: 'DOWNSTREAM', depth: 2, limit: 10_000 },
        ]
      : [
          { shape: shapes.chain, root: shapes.chain.roots['top']!, direction: 'UPSTREAM', depth: 10, limit: null },
          { shape: shapes.chain, root: shapes.chain.roots['top']!, direction: 'UPSTREAM', depth: 100, limit: null },
          { shape: shapes.chain, root: 'd0', direction: 'DOWNSTREAM', depth: 50, limit: 20 },
          { shape: shapes.ladder!, root: shapes.ladder!.roots['top']!, direction: 'UPSTREAM', depth: 12, limit: null },
          { shape: shapes.ladder!, root: shapes.ladder!.roots['top']!, direction: 'UPSTREAM', depth: 40, limit: null },
          { shape: shapes.hub, root: 'hub', direction: 'DOWNSTREAM', depth: 2, limit: null },
          { shape: shapes.pipelines, root: shapes.pipelines.roots['lastDeployment']!, direction: 'UPSTREAM', depth: 12, limit: null },
          { shape: shapes.pipelines, root: shapes.pipelines.roots['lastDeployment']!, direction: 'UPSTREAM', depth: 30, limit: null },
          { shape: shapes.pipelines, root: 'validation', direction: 'DOWNSTREAM', depth: 3, limit: null },
        ];

    const rows: string[] = [];
    for (const q of questions) {
      const label = `${q.direction.toLowerCase()} of ${q.shape.name} ${q.root} depth ${q.depth}${q.limit === null ? '' : ` limit ${q.limit}`}`;
      console.log(`${label}: Pedigree`);
      const mine = await pedigreeTraverse(post, keyToId(q.root, q.shape), q, RUNS);
      rows.push(row(label, 'Pedigree', mine));
      for (const peer of [nested, cypher]) {
        console.log(`${label}: ${peer.name}`);
        const theirs = await peer.traverse(q.shape, q, RUNS);
        rows.push(row(label, peer.name, theirs, mine.count));
      }
    }

    const models = [...idsByShape.get(shapes.pipelines)!.keys()].filter((k) => k.endsWith('.model'));
    for (const [what, keys] of [['model versions', models], ['dataset versions', [...idsByShape.get(shapes.chain)!.keys()].filter((k) => k.startsWith('d')).slice(0, 50)]] as const) {
      const label = `_entities of ${keys.length} ${what}`;
      const typename = what === 'model versions' ? 'ModelVersion' : 'DatasetVersion';
      const shape = what === 'model versions' ? shapes.pipelines : shapes.chain;
      // The peer's default selection (bench/peers/neo4j-graphql.ts DEFAULT_LOOKUP_FIELDS).
      const fields = typename === 'ModelVersion' ? 'id number status createdAt' : 'id number digest createdAt';
      const representations = keys.map((key) => ({ __typename: typename, id: keyToId(key, shape) }));
      const mine = await measure(RUNS, async () => {
        const data = await post<{ _entities: unknown[] }>(`query($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${fields} } } }`, { r: representations });
        return data._entities.filter((e) => e !== null).length;
      });
      rows.push(row(label, 'Pedigree', mine));
      rows.push(row(label, cypher.name.replace(' (@cypher)', ''), await cypher.lookup(shape, keys, RUNS), mine.count));
    }

    const trivial = keyToId(shapes.chain.roots['bottom']!, shapes.chain);
    const floor = await measure(RUNS * 4, () => cypher.trivialRead(trivial, 'DatasetVersion'));
    if (floor.count !== 1) throw new Error('trivial read found no node');
    rows.push(row('one dataset version by id', cypher.name.replace(' (@cypher)', ''), floor));

    if (!BIG) {
      for (const [what, outcome] of [
        ['batched ingest of chain-200', await cypher.ingestBatched(shapes.chain)],
        ['batched ingest of pipelines-50', await cypher.ingestBatched(shapes.pipelines)],
        ['single ingest of 100 pipeline nodes', await cypher.ingestSingle(shapes.pipelines, 100)],
      ] as const) {
        rows.push(isUnsupported(outcome) ? `| ${what} | @neo4j/graphql | unsupported: ${outcome.unsupported} | | |` : `| ${what} | @neo4j/graphql | ${outcome.elements} elements | ${Math.round(outcome.ms)} ms | ${Math.round((outcome.elements / outcome.ms) * 1000)} elements/s |`);
      }
    }

    console.log(`\n${RUNS} runs after warm-up, Node ${process.version}\n`);
    console.log('| question | contender | count | median ms | p99 ms |');
    console.log('|---|---|---:|---:|---:|');
    for (const line of rows) console.log(line);
  } finally {
    for (const peer of peers) await peer.close();
    await gateway.stop();
    await database.stop();
  }
}

async function pedigreeTraverse(post: Post, id: string, q: TraversalQuestion, runs: number): Promise<Timed> {
  const field = q.direction === 'UPSTREAM' ? 'upstream' : 'downstream';
  const query = `query($id: ID!, $d: Int!, $l: Int!) { node(id: $id) { ... on LineageNode { ${field}(maxDepth: $d, limit: $l) { nodes { node { id } } } } } }`;
  return measure(runs, async () => {
    const data = await post<{ node: Record<string, { nodes: unknown[] }> }>(query, { id, d: q.depth, l: q.limit ?? 10_000 });
    return data.node[field]!.nodes.length;
  });
}

async function measure(runs: number, once: () => Promise<number>): Promise<Timed> {
  let count = await once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    count = await once();
    samples.push(performance.now() - start);
  }
  return { samples, count };
}

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function row(question: string, contender: string, outcome: Outcome<Timed>, expected?: number): string {
  if (isUnsupported(outcome)) return `| ${question} | ${contender} | unsupported: ${outcome.unsupported} | | |`;
  if (expected !== undefined && outcome.count !== expected) throw new Error(`${contender} counted ${outcome.count} for ${question}, Pedigree ${expected}`);
  return `| ${question} | ${contender} | ${outcome.count} | ${quantile(outcome.samples, 0.5).toFixed(1)} | ${quantile(outcome.samples, 0.99).toFixed(1)} |`;
}

await main();
