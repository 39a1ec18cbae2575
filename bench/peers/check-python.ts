/**
 * `node bench/peers/check-python.ts [mlmd|mlflow ...]`: a manual check of the Python peers.
 * Starts them (creating their venvs under bench/.venv/ on first use), ingests small shapes,
 * asks traversal and lookup questions, prints count and median ms for each, and throws when
 * a supported answer's count differs from the count worked out from the shape itself
 * (bench/lib/reach.ts).
 */
import { expectedReach } from '../lib/reach.ts';
import { chain, hub, ladder, pipelines, type Shape } from '../lib/shapes.ts';
import { startMlflowPeer, startMlmdPeer } from './python.ts';
import { isUnsupported, type Outcome, type Peer, type Timed, type TraversalQuestion } from './types.ts';

const RUNS = 5;

interface Case {
  readonly shape: Shape;
  readonly questions: readonly TraversalQuestion[];
  readonly lookup: readonly string[];
}

const up = (root: string, depth: number, limit: number | null = null): TraversalQuestion => ({ root, direction: 'UPSTREAM', depth, limit });
const down = (root: string, depth: number, limit: number | null = null): TraversalQuestion => ({ root, direction: 'DOWNSTREAM', depth, limit });
const range = (n: number, key: (i: number) => string) => Array.from({ length: n }, (_, i) => key(i));

function cases(): Case[] {
  const c = chain(200);
  const l = ladder(10);
  const h = hub(1000);
  const p = pipelines(50);
  return [
    { shape: c, questions: [up(c.roots['top']!, 10), up(c.roots['top']!, 50), up(c.roots['top']!, 100), up(c.roots['top']!, 150), down(c.roots['bottom']!, 10)], lookup: range(100, (i) => `d${i}`) },
    { shape: l, questions: [up(l.roots['top']!, 5), up(l.roots['top']!, 40), down(l.roots['bottom']!, 40)], lookup: range(10, (i) => `r${i + 1}a`) },
    { shape: h, questions: [down('hub', 1), down('hub', 2), down('hub', 2, 1000), up('c7', 2)], lookup: range(1000, (i) => `r${i}`) },
    {
      shape: p,
      questions: [up(p.roots['lastModel']!, 1), up(p.roots['lastModel']!, 3), up(p.roots['lastModel']!, 10), up(p.roots['lastModel']!, 60), up(p.roots['lastDeployment']!, 10), up('p49.eval', 4), down(p.roots['firstRaw']!, 10)],
      lookup: [...range(50, (i) => `p${i}.train`), ...range(50, (i) => `p${i}.model`)],
    },
  ];
}

const median = (samples: readonly number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function report(peer: Peer, what: string, outcome: Outcome<Timed>, expected: number): void {
  if (isUnsupported(outcome)) {
    console.log(`  ${what}: unsupported (${outcome.unsupported})`);
    return;
  }
  const ok = outcome.count === expected;
  console.log(`  ${what}: ${outcome.count} nodes, median ${median(outcome.samples).toFixed(2)} ms${ok ? '' : `  EXPECTED ${expected}`}`);
  if (!ok) throw new Error(`${peer.name}: ${what} returned ${outcome.count}, expected ${expected}`);
}

async function check(peer: Peer): Promise<void> {
  console.log(`\n== ${peer.name}`);
  const single = await peer.ingestSingle(pipelines(50), 100);
  console.log(isUnsupported(single) ? `single ingest: unsupported (${single.unsupported})` : `single ingest pipelines-50, 100 nodes: ${single.elements} elements in ${single.ms.toFixed(0)} ms = ${((single.elements / single.ms) * 1000).toFixed(0)} elements/s`);
  for (const { shape, questions, lookup } of cases()) {
    const ingest = await peer.ingestBatched(shape);
    console.log(`${shape.name} (${shape.nodeCount} nodes, ${shape.edgeCount} edges): ` + (isUnsupported(ingest) ? `batched ingest unsupported (${ingest.unsupported})` : `batched ingest ${ingest.elements} elements in ${ingest.ms.toFixed(0)} ms = ${((ingest.elements / ingest.ms) * 1000).toFixed(0)} elements/s`));
    if (!isUnsupported(ingest) && ingest.elements !== shape.nodeCount + shape.edgeCount) throw new Error(`${peer.name}: ingested ${ingest.elements} elements of ${shape.name}, expected ${shape.nodeCount + shape.edgeCount}`);
    for (const question of questions) {
      const what = `${question.direction.toLowerCase()} of ${question.root} depth ${question.depth}${question.limit === null ? '' : ` limit ${question.limit}`}`;
      report(peer, what, await peer.traverse(shape, question, RUNS), expectedReach(shape, question));
    }
    report(peer, `lookup of ${lookup.length} keys`, await peer.lookup(shape, lookup, RUNS), lookup.length);
  }
}

async function main(): Promise<void> {
  const which = process.argv.slice(2);
  const log = (line: string) => console.error(`  [log] ${line}`);
  const starters: Array<[string, () => Promise<Peer>]> = [
    ['mlmd', () => startMlmdPeer(log)],
    ['mlflow', () => startMlflowPeer(log)],
  ];
  for (const [name, start] of starters) {
    if (which.length > 0 && !which.includes(name)) continue;
    const peer = await start();
    try {
      await check(peer);
    } finally {
      await peer.close();
    }
  }
}

await main();
