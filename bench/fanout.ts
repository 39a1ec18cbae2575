/**
 * Fan-out benchmark CLI over bench/lib/fanout.ts: N subscribers (default 1,000), R events/s
 * (default 100) for D seconds (default 20), Pedigree against a bare `ws` broadcast of a
 * pre-serialized frame; prints a markdown table. Not a test.
 *
 *   node bench/fanout.ts [subscribers=1000] [eventsPerSecond=100] [seconds=20] [--warmup SECONDS=10] [--only pedigree|broadcast] [--cpu-prof DIR]
 *
 * Uses NEO4J_URI when set, otherwise starts its own embedded Neo4j in a temp directory.
 */
import { parseArgs } from 'node:util';
import { runFanout, type ContenderName } from './lib/fanout.ts';
import { benchNeo4j } from './lib/neo4j.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { only: { type: 'string' }, warmup: { type: 'string', default: '10' }, 'cpu-prof': { type: 'string' } } });
const [subscribers = 1_000, eventsPerSecond = 100, seconds = 20] = positionals.map(Number);

const neo4j = await benchNeo4j({ heap: '1g', pagecache: '256m' });
try {
  const { results, p99Ratio } = await runFanout({
    neo4jUri: neo4j.uri,
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
      `| ${r.name} | ${r.subscribers} | ${eventsPerSecond} | ${r.achievedPerSecond.toFixed(1)} | ${r.delivered}/${r.expected} | ${r.lost} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.maxMs.toFixed(1)} | ${r.sendP50Ms.toFixed(1)} / ${r.sendP99Ms.toFixed(1)} | ${r.roundTripP50Ms.toFixed(1)} / ${r.roundTripP99Ms.toFixed(1)} | ${r.serverRssBeforeMb.toFixed(0)} / ${r.serverRssPeakMb.toFixed(0)} | ${(r.serverCpuShare * 100).toFixed(0)}% | ${(r.clientCpuShare * 100).toFixed(0)}% | ${r.frameBytes} |`,
    );
    if (r.errors.length > 0) console.log(`${r.name}: errors, e.g. ${r.errors[0]}`);
  }
  if (p99Ratio !== null) console.log(`\np99 Pedigree / bare broadcast, commit to client: ${p99Ratio.toFixed(2)}x`);
} finally {
  await neo4j.stop();
}
