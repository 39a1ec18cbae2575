/**
 * `node bench/metrics.ts [batchCalls=50] [singlePoints=5000]`: the high-frequency training writes
 * (`logMetrics` calls of 1,000 points, per-step single points) next to the same list-append
 * Cypher through the same driver, on their own; bench/lib/metrics.ts says how. `npm run bench`
 * runs the same comparison as its `metrics` scenario.
 *
 * Uses NEO4J_URI when set (the data stays in a project of its own), otherwise a throwaway
 * embedded Neo4j. Prints elements/s (an element is one point), per-call medians and p99s in
 * milliseconds, and the ratio to the limit.
 */
import { loadavg } from 'node:os';
import { loadConfig } from '../src/config.ts';
import { startGateway } from '../src/server.ts';
import { compareMetricWrites } from './lib/metrics.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { renderTable } from './lib/report.ts';

const batchCalls = Number(process.argv[2] ?? 50);
const singlePoints = Number(process.argv[3] ?? 5000);
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
const config = loadConfig(
  { ...process.env, NEO4J_URI: database.uri, PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0' },
  { port: 0, host: '127.0.0.1', logLevel: 'silent' },
);
const gateway = await startGateway({ config, neo4jUri: database.uri });
try {
  await gateway.ready;
  const post = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 2000));
    return body.data!;
  };
  const tables = await compareMetricWrites({ post, driver: gateway.driver, database: config.neo4j.database, plan: { batchCalls, singlePoints }, log: (line) => console.error(line) });
  console.log(`\nNode ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  for (const table of tables) console.log(renderTable(table));
} finally {
  await gateway.stop();
  await database.stop();
}
