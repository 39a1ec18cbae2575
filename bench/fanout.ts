/**
 * Fan-out benchmark CLI over bench/lib/fanout.ts: N subscribers (default 1,000), R events/s
 * (default 100) for D seconds (default 20), Pedigree against a bare `ws` broadcast of a
 * pre-serialized frame; prints a markdown table. Not a test.
 *
 *   node bench/fanout.ts [subscribers=1000] [eventsPerSecond=100] [seconds=20] [--warmup SECONDS=10] [--only pedigree|broadcast] [--cpu-prof DIR]
 *
 * Uses NEO4J_URI when set, otherwise starts its own embedded Neo4j in a temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { ensureBuilt, startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/neo4j/embedded.ts';
import { runFanout, type ContenderName } from './lib/fanout.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' }, warmup: { type: 'string', default: '10' }, 'cpu-prof': { type: 'string' } } });
const [subscribers = 1_000, eventsPerSecond = 100, seconds = 20] = positionals.map(Number);

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

let embedded: EmbeddedNeo4j | undefined;
let dataDir: string | undefined;
let neo4jUri = process.env['NEO4J_URI'];
try {
  if (!neo4jUri) {
    ensureBuilt((line) => console.error(line));
    dataDir = await mkdtemp(join(tmpdir(), 'pedigree-bench-fanout-'));
    embedded = await startEmbeddedNeo4j({ port: await freePort(), dataDir, heap: '1g', pagecache: '256m', tieToParent: true });
    neo4jUri = embedded.uri;
  }
  const { results, p99Ratio } = await runFanout({
    neo4jUri,
    subscribers,
    eventsPerSecond,
    seconds,
    warmupSeconds: Number(values.warmup),
    log: (line) => console.error(line),
    ...(values.only ? { contenders: [values.only as ContenderName] } : {}),
    ...(values['cpu-prof'] ? { gatewayNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] } : {}),
  });
  console.log('| contender | subscribers | events/s target | achieved events/s | delivered | lost | p50 ms | p99 ms | max ms | from send p50 / p99 ms | mutation p50 / p99 ms | server RSS MB (before / peak) | server CPU | clients CPU | frame bytes |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.subscribers} | ${eventsPerSecond} | ${r.achievedPerSecond.toFixed(1)} | ${r.delivered}/${r.expected} | ${r.lost} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.sendP50Ms.toFixed(1)} / ${r.sendP99Ms.toFixed(1)} | ${r.commitP50Ms.toFixed(1)} / ${r.commitP99Ms.toFixed(1)} | ${r.serverRssBeforeMb.toFixed(0)} / ${r.serverRssPeakMb.toFixed(0)} | ${(r.serverCpuShare * 100).toFixed(0)}% | ${(r.clientCpuShare * 100).toFixed(0)}% | ${r.frameBytes} |`,
    );
    if (r.errors.length > 0) console.log(`${r.name}: errors, e.g. ${r.errors[0]}`);
  }
  if (p99Ratio !== null) console.log(`\np99 Pedigree / bare broadcast, commit to client: ${p99Ratio.toFixed(2)}x`);
} finally {
  await embedded?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
