/**
 * `node bench/ab-reads.ts <checkout A> <checkout B> [runs=100]`: the read requests of two
 * versions of Pedigree side by side, for "did this change slow reads down?".
 *
 * Each checkout is a directory holding a Pedigree tree with its dependencies installed (a git
 * worktree of another commit, for instance). Both gateways run as child processes against the
 * same Neo4j over the same data (loaded once through B), and every request is sent to A and
 * to B in turn, alternating which goes first, so both see the same machine at the same moment.
 * On a busy machine this is far steadier than comparing two separate `npm run bench` runs.
 * Prints per question the median of each side and B/A.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { BenchGateway } from './lib/gateway.ts';
import { loadShape } from './lib/load-pedigree.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { createProject, IDS_SELECTION, TRAVERSAL_SELECTION } from './lib/pedigree.ts';
import { chain, hub, ladder, type Shape } from './lib/shapes.ts';

const [dirA, dirB] = process.argv.slice(2, 4).map((dir) => resolve(dir));
const RUNS = Number(process.argv[4] ?? 100);
if (!dirA || !dirB) throw new Error('usage: node bench/ab-reads.ts <checkout A> <checkout B> [runs=100]');
const WARMUP = 5;

async function gatewayOf(dir: string, uri: string): Promise<BenchGateway> {
  const module = (await import(pathToFileURL(join(dir, 'bench', 'lib', 'gateway.ts')).href)) as { startBenchGateway(uri: string): Promise<BenchGateway> };
  return module.startBenchGateway(uri);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const database = await benchNeo4j({ heap: '2g', pagecache: '1g', log: (line) => console.error(line) });
const a = await gatewayOf(dirA, database.uri);
const b = await gatewayOf(dirB, database.uri);
try {
  const shapes: Record<string, Shape> = { chain: chain(1_000), ladder: ladder(40), hub: hub(10_000) };
  const ids = new Map<string, ReadonlyMap<string, string>>();
  for (const [name, shape] of Object.entries(shapes)) {
    ids.set(name, await loadShape((query, variables) => b.post(query, variables), await createProject(b, `ab-${name}-${Date.now()}`), shape));
  }
  const questions = [
    { title: 'upstream of the end of the 1,000-hop chain, depth 50', shape: 'chain', root: 'top', field: 'upstream', depth: 50, limit: 10_000 },
    { title: 'upstream of the top of the 40-layer ladder', shape: 'ladder', root: 'top', field: 'upstream', depth: 80, limit: 10_000 },
    { title: 'the first 1,000 downstream of the hub', shape: 'hub', root: 'hub', field: 'downstream', depth: 2, limit: 1_000 },
  ];
  console.log(`Medians of ${RUNS} requests each, A = ${dirA}, B = ${dirB}\n`);
  console.log('| question | selection | A ms | B ms | B/A |');
  console.log('|---|---|---:|---:|---:|');
  for (const q of questions) {
    const id = ids.get(q.shape)!.get(shapes[q.shape]!.roots[q.root]!)!;
    for (const [selection, fields] of [['full', TRAVERSAL_SELECTION], ['ids only', IDS_SELECTION]] as const) {
      const query = `query($id: ID!, $depth: Int!, $limit: Int!) { node(id: $id) { ${q.field}(maxDepth: $depth, limit: $limit) { ${fields} } } }`;
      const times = new Map<BenchGateway, number[]>([[a, []], [b, []]]);
      for (let i = 0; i < WARMUP + RUNS; i++) {
        for (const gateway of i % 2 === 0 ? [a, b] : [b, a]) {
          const started = performance.now();
          await gateway.post(query, { id, depth: q.depth, limit: q.limit });
          if (i >= WARMUP) times.get(gateway)!.push(performance.now() - started);
        }
      }
      const [ma, mb] = [median(times.get(a)!), median(times.get(b)!)];
      console.log(`| ${q.title} | ${selection} | ${ma.toFixed(2)} | ${mb.toFixed(2)} | ${(mb / ma).toFixed(2)} |`);
    }
  }
} finally {
  await a.stop();
  await b.stop();
  await database.stop();
}
