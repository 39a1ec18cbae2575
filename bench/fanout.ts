/**
 * Fan-out benchmark for the event stream: N graphql-ws subscribers (default 1,000) on one
 * gateway process (`node src/main.ts`), a writer committing R events per second (default 100)
 * for D seconds, and the latency from sending each mutation to each subscriber's receipt
 * (p50/p99 over all deliveries; it includes the commit itself), plus the gateway process's
 * resident memory, sampled from /proc while the load runs. Not a test.
 *
 *   node bench/fanout.ts [subscribers=1000] [eventsPerSecond=100] [seconds=20]
 *
 * Uses NEO4J_URI when set, otherwise starts its own embedded Neo4j in a temp directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ensureBuilt, startEmbeddedNeo4j, type EmbeddedNeo4j } from '../src/neo4j/embedded.ts';

const [subscribers = 1_000, rate = 100, seconds = 20] = process.argv.slice(2).map(Number);
const createServer = await import('node:net').then((net) => () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  }));

let embedded: EmbeddedNeo4j | undefined;
let dataDir: string | undefined;
let uri = process.env['NEO4J_URI'];
if (!uri) {
  ensureBuilt((line) => console.error(line));
  dataDir = await mkdtemp(join(tmpdir(), 'pedigree-bench-fanout-'));
  embedded = await startEmbeddedNeo4j({ port: await createServer(), dataDir, heap: '1g', pagecache: '256m', tieToParent: true });
  uri = embedded.uri;
}
const port = await createServer();
const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.ts')], {
  env: { ...process.env, NEO4J_URI: uri, PORT: String(port), HOST: '127.0.0.1', PEDIGREE_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
await new Promise<void>((resolve) => {
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.includes('serving http')) resolve();
  });
});
const url = `http://127.0.0.1:${port}/graphql`;
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;

type Data = Record<string, { id: string }>;
async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: Data; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const project = (await gql('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `fanout-${Date.now()}` })).createProject!.id;
const sentAt: number[] = []; // event i -> when its mutation was sent
const latencies: number[] = [];
const errors: string[] = [];
const rssBefore = rssMb();
const clients: Client[] = [];
let ready = 0;
let warmedUp = 0;
for (let i = 0; i < subscribers; i += 1) {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  clients.push(client);
  client.subscribe(
    { query: 'subscription($p: ID!) { versionEvents(filter: { projects: [$p] }) { cursor subject { ... on DatasetVersion { uri } } } }', variables: { p: project } },
    {
      next: (result) => {
        if (result.errors) errors.push(JSON.stringify(result.errors));
        const uri = (result.data as { versionEvents: { subject: { uri: string } } } | undefined)?.versionEvents.subject.uri ?? '';
        if (uri.endsWith('/warmup')) warmedUp += 1;
        const sent = sentAt[Number(uri.split('/').at(-1))];
        if (sent !== undefined) latencies.push(performance.now() - sent);
      },
      error: (error) => console.error('subscriber error', error),
      complete: () => {},
    },
  );
  client.on('connected', () => (ready += 1));
}
while (ready < subscribers) await new Promise((resolve) => setTimeout(resolve, 100));
// One warm-up event that every subscriber must receive: from then on all of them are live.
await gql('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
  input: { project, dataset: 'warmup', uri: 's3://bench/warmup', digest: `sha256:${'f'.repeat(64)}` },
});
while (warmedUp < subscribers) await new Promise((resolve) => setTimeout(resolve, 100));

const total = rate * seconds;
const started = performance.now();
const writes: Promise<unknown>[] = [];
const MAX_IN_FLIGHT = 8;
let inFlight = 0;
let rssPeak = rssBefore;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 250);
for (let i = 0; i < total; i += 1) {
  const due = started + (i * 1_000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  // At most MAX_IN_FLIGHT writes at once: an open-loop writer faster than Neo4j commits would
  // queue thousands of transactions on the counter lock and starve the driver's pool.
  while (inFlight >= MAX_IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 1));
  inFlight += 1;
  sentAt[i] = performance.now();
  writes.push(
    gql('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
      input: { project, dataset: `d${i % 10}`, uri: `s3://bench/${i}`, digest: `sha256:${i.toString(16).padStart(64, '0')}` },
    }).finally(() => (inFlight -= 1)),
  );
}
await Promise.all(writes);
const expected = total * subscribers;
const deadline = performance.now() + 60_000;
while (latencies.length < expected && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
clearInterval(sampler);
const elapsed = (performance.now() - started) / 1_000;

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
console.log(`| subscribers | events/s (target) | events | achieved events/s | deliveries | p50 ms | p99 ms | max ms | gateway RSS before subscribers MB | gateway RSS peak MB |`);
console.log(`|---|---|---|---|---|---|---|---|---|---|`);
console.log(
  `| ${subscribers} | ${rate} | ${total} | ${(total / elapsed).toFixed(0)} | ${latencies.length}/${expected} | ${pct(50)} | ${pct(99)} | ${latencies.at(-1)!.toFixed(1)} | ${rssBefore.toFixed(0)} | ${rssPeak.toFixed(0)} |`,
);
if (errors.length > 0) console.log(`${errors.length} subscriptions ended with errors, e.g. ${errors[0]}`);

await Promise.all(clients.map((client) => client.dispose()));
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
await embedded?.stop();
if (dataDir) await rm(dataDir, { recursive: true, force: true });
