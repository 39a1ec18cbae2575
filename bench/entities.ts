/**
 * `node bench/entities.ts [keys=1000] [rounds=30]`: one `_entities` request for 1,000
 * ModelVersion keys (HTTP POST to the gateway, reference resolution through the per-request
 * loader, GraphQL execution and serialization) next to the physical limit, a single
 * hand-written `UNWIND` Cypher query for the same keys and fields through the same driver, and between
 * them the loader's own Cypher query without GraphQL (where the difference goes).
 *
 * Uses NEO4J_URI when set (the data it writes stays in a project of its own), otherwise a
 * throwaway embedded Neo4j in a temp directory. Prints medians and p99 in milliseconds.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import neo4j, { type Driver } from 'neo4j-driver';
import { loadConfig } from '../src/config.ts';
import { newId } from '../src/domain/ids.ts';
import { nodesByIds } from '../src/neo4j/queries/nodes.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { startGateway } from '../src/server.ts';

const KEYS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 30);
const WARMUP = 5;
/** The bench's own server-wide admin credential (the gateway requires a bearer token). */
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ModelVersion { id number status createdAt } }
}`;
/** Datetimes as epoch milliseconds: decoding a Neo4j DateTime in the driver costs more than the rest of the row. */
const UNWIND = `UNWIND $ids AS id
  MATCH (v:ModelVersion {id: id})
  RETURN v.id AS id, v.number AS number, v.status AS status, v.createdAt.epochMillis AS createdAt`;

/** POSTs an operation that must succeed and returns its one root field's value. */
type Post = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

async function main(): Promise<void> {
  const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
  const uri = database.uri;
  const config = loadConfig(
    { ...process.env, NEO4J_URI: uri, PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
    { port: 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const gateway = await startGateway({ config, neo4jUri: uri });
  try {
    await gateway.ready;
    const post: Post = async (query, variables) => {
      const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return Object.values(body.data!)[0] as never;
    };
    const ids = await seed(post, gateway.driver, KEYS);
    const representations = ids.map((id) => ({ __typename: 'ModelVersion', id }));

    const [viaEntities, viaUnwind, viaLoaderQuery] = (await measure([
      async () => {
        const entities = await post<unknown[]>(ENTITIES, { representations });
        if (entities.length !== KEYS || entities.some((e) => e === null)) throw new Error('missing entities');
      },
      async () => {
        const { records } = await gateway.driver.executeQuery(UNWIND, { ids }, { database: config.neo4j.database, routing: neo4j.routing.READ });
        if (records.length !== KEYS) throw new Error('missing rows');
      },
      async () => {
        const rows = await gateway.executor.read('bench', (tx) => nodesByIds(tx, 'ModelVersion', ids));
        if (rows.length !== KEYS) throw new Error('missing rows');
      },
    ])) as [Timing, Timing, Timing];

    console.log(`\n${KEYS} ModelVersion keys, ${ROUNDS} rounds after ${WARMUP} warm-up, contenders alternating, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log('| path | median ms | p99 ms |');
    console.log('|---|---:|---:|');
    console.log(`| _entities over HTTP (loader, one Cypher query) | ${viaEntities.median.toFixed(1)} | ${viaEntities.p99.toFixed(1)} |`);
    console.log(`| the loader's Cypher alone (whole nodes, through the executor) | ${viaLoaderQuery.median.toFixed(1)} | ${viaLoaderQuery.p99.toFixed(1)} |`);
    console.log(`| hand-written UNWIND through the same driver | ${viaUnwind.median.toFixed(1)} | ${viaUnwind.p99.toFixed(1)} |`);
    console.log(`\nratio of medians: ${(viaEntities.median / viaUnwind.median).toFixed(1)}x`);
  } finally {
    await gateway.stop();
    await database.stop();
  }
}

/** One model version recorded through the API, then `count - 1` copies of it in its stored shape. */
async function seed(post: Post, driver: Driver, count: number): Promise<string[]> {
  const name = `bench-entities-${Date.now()}`;
  type Created = { id: string };
  const project = (await post<Created>('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: name })).id;
  const run = (await post<Created>('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { project, name: 'train', type: 'TRAINING' } })).id;
  const version = (await post<Created>('mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }', { i: { project, model: 'm', source: run } })).id;
  const copies = Array.from({ length: count - 1 }, (_, k) => ({ id: newId('ModelVersion'), number: neo4j.int(k + 2) }));
  // Labels last: the uniqueness constraints see each copy only once it has its own id and number.
  await driver.executeQuery(
    `MATCH (t:ModelVersion {id: $version}) UNWIND $copies AS c
     CREATE (v) SET v = properties(t), v.id = c.id, v.number = c.number, v.semver = null SET v:ModelVersion:LineageNode`,
    { version, copies },
  );
  return [version, ...copies.map((c) => c.id)];
}

/** Warm-up, then ROUNDS rounds running each contender once in turn (all see the same machine load). */
interface Timing {
  readonly median: number;
  readonly p99: number;
}

async function measure(contenders: ReadonlyArray<() => Promise<void>>): Promise<Timing[]> {
  for (let i = 0; i < WARMUP; i++) for (const once of contenders) await once();
  const times = contenders.map((): number[] => []);
  for (let i = 0; i < ROUNDS; i++) {
    for (const [k, once] of contenders.entries()) {
      const start = performance.now();
      await once();
      times[k]!.push(performance.now() - start);
    }
  }
  return times.map((samples) => {
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!;
    return { median: at(0.5), p99: at(0.99) };
  });
}

await main();
