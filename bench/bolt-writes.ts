/**
 * `node bench/bolt-writes.ts [statements=4000] [kilobytes=20] [rounds=3]`: what coalescing the
 * driver's socket writes (src/neo4j/bolt-writes.ts) saves on statements with large parameters.
 *
 * One driver made like the gateway's (createDriver) sends `RETURN size($text)` with a string of
 * `kilobytes` KB, 4 at a time, alternating rounds with the coalescing off (the driver's own
 * one write per 1,400 bytes) and on, after a warm-up of the same traffic. Prints, per round, this
 * process's CPU per statement (user and system) and the wall-clock time per statement.
 *
 * Uses NEO4J_URI when set, otherwise a throwaway embedded Neo4j.
 */
import { performance } from 'node:perf_hooks';
import { coalesceBoltWrites } from '../src/neo4j/bolt-writes.ts';
import { createDriver } from '../src/neo4j/driver.ts';
import { benchNeo4j } from './lib/neo4j.ts';

const STATEMENTS = Number(process.argv[2] ?? 4_000);
const KILOBYTES = Number(process.argv[3] ?? 20);
const ROUNDS = Number(process.argv[4] ?? 3);
const CONCURRENCY = 4;

const database = await benchNeo4j({ heap: '1g', pagecache: '256m' });
const driver = createDriver({ uri: database.uri, user: process.env['NEO4J_USER'] ?? 'neo4j', password: process.env['NEO4J_PASSWORD'] ?? 'neo4j', retryMs: 30_000 });
const text = 'x'.repeat(KILOBYTES * 1_000);

async function send(count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < count / CONCURRENCY; i++) await driver.executeQuery('RETURN size($text) AS n', { text });
    }),
  );
}

try {
  for (const on of [false, true]) {
    coalesceBoltWrites(on);
    await send(STATEMENTS);
  }
  console.log(`\n${STATEMENTS.toLocaleString('en')} statements with ${KILOBYTES} KB of parameters, ${CONCURRENCY} at a time, per round; Node ${process.version}\n`);
  console.log('| round | socket writes | client CPU µs per statement (system) | wall ms per statement |');
  console.log('|---:|---|---:|---:|');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const on of [false, true]) {
      coalesceBoltWrites(on);
      const cpu = process.cpuUsage();
      const start = performance.now();
      await send(STATEMENTS);
      const used = process.cpuUsage(cpu);
      const wall = performance.now() - start;
      const perStatement = (us: number) => (us / STATEMENTS).toFixed(0);
      console.log(`| ${round} | ${on ? 'one per turn (coalesced)' : 'one per 1,400 bytes (driver)'} | ${perStatement(used.user + used.system)} (${perStatement(used.system)}) | ${(wall / STATEMENTS).toFixed(3)} |`);
    }
  }
} finally {
  coalesceBoltWrites(true);
  await driver.close();
  await database.stop();
}
