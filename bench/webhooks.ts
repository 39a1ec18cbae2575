/**
 * Webhook delivery latency: W webhooks (default 100) of one project on one receiver while events
 * are committed at R per second (default 100) for D seconds (default 20), against the
 * `versionEvents` subscription's latency in the same run, on the same events. Not a test.
 *
 *   node bench/webhooks.ts [webhooks=100] [eventsPerSecond=100] [seconds=20] [--warmup SECONDS=120] [--warmup-rate R=25] [--subscribers N=1]
 *
 * - The warm-up runs the same flow at R events/s (at most eventsPerSecond) before anything is
 *   measured, and waits until it has all arrived. A freshly started Neo4j spends its first
 *   minutes of load compiling (its JIT used as much CPU as its query threads for about three
 *   minutes on 2 cores), so a short warm-up measures a cold JVM, not the delivery path.
 * - The gateway is `node src/main.ts` as a child process (PEDIGREE_WEBHOOK_ALLOW_PRIVATE=true, so
 *   it may deliver to 127.0.0.1).
 * - The receiver is an HTTP server in this process that verifies every request's signature (as a
 *   real receiver must) and answers 204; the subscribers are graphql-ws clients in this process
 *   too, so both are measured on the same clock and loop. It verifies with node:crypto (the
 *   formula the tests check against the `standardwebhooks` package): the package hashes in
 *   JavaScript, about 0.15 ms per request, and at 10,000 requests/s the receiver would measure itself.
 * - Writers commit one `registerDatasetVersion` per event over HTTP, open loop at the target
 *   rate (at most 16 in flight), round robin over 20 datasets.
 * - Latency is commit-to-receipt: from the new version's `createdAt` (stamped by Neo4j when the
 *   creating statement runs, so the commit and the sequencer step are inside it) to the moment
 *   the receiver has verified the request, or the subscriber has parsed the frame.
 *
 * Uses NEO4J_URI when set, otherwise starts its own embedded Neo4j in a temp directory.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { timingSafeEqual } from 'node:crypto';
import { createSigner } from '../src/events/webhooks/secrets.ts';
import { spawnServer, stopChild } from './lib/child.ts';
import { freePort } from './lib/gateway.ts';
import { benchNeo4j } from './lib/neo4j.ts';
import { percentile } from './lib/stats.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { warmup: { type: 'string', default: '120' }, 'warmup-rate': { type: 'string', default: '25' }, subscribers: { type: 'string', default: '1' } } });
const [webhookCount = 100, eventsPerSecond = 100, seconds = 20] = positionals.map(Number);
const subscriberCount = Number(values.subscribers);
const warmupRate = Math.min(eventsPerSecond, Number(values['warmup-rate']));
const warmupEvents = Math.round(Number(values.warmup) * warmupRate);

const ROOT = join(import.meta.dirname, '..');
const ADMIN_TOKEN = 'bench-webhooks-admin-token-0123456789';
const DATASETS = 20;
const MUTATION = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id createdAt } }';
const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.error(`webhooks bench: ${line}`);

/** Receipt times per subject id: one list per consumer kind. */
const webhookReceipts = new Map<string, number[]>();
const subscriptionReceipts = new Map<string, number[]>();
let rejected = 0;
let duplicates = 0;
const seen = new Set<string>();

const secrets = new Map<string, ReturnType<typeof createSigner>>();
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const sign = secrets.get(request.url ?? '');
    try {
      const payload = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id']);
      const timestamp = Number(request.headers['webhook-timestamp']);
      const expected = Buffer.from(sign!(id, new Date(timestamp * 1_000), payload));
      const given = Buffer.from(String(request.headers['webhook-signature']));
      if (Math.abs(Date.now() / 1_000 - timestamp) > 300 || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new Error('bad signature');
      const body = JSON.parse(payload) as { subject: { id: string } };
      const at = epochNow();
      const key = `${request.url} ${request.headers['webhook-id']}`;
      if (seen.has(key)) duplicates += 1;
      seen.add(key);
      const list = webhookReceipts.get(body.subject.id) ?? [];
      list.push(at);
      webhookReceipts.set(body.subject.id, list);
      response.writeHead(204).end();
    } catch {
      rejected += 1;
      response.writeHead(401).end();
    }
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const neo4j = await benchNeo4j({ heap: '1g', pagecache: '256m' });
const port = await freePort();
const gateway = spawnServer(join(ROOT, 'src', 'main.ts'), {
  cwd: ROOT,
  env: {
    ...process.env,
    NEO4J_URI: neo4j.uri,
    PORT: String(port),
    HOST: '127.0.0.1',
    PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN,
    PEDIGREE_RATE_LIMIT_PER_SECOND: '0',
    PEDIGREE_LOG_LEVEL: 'warn',
    PEDIGREE_WEBHOOK_ALLOW_PRIVATE: 'true',
    PEDIGREE_WEBHOOK_LEASE_MS: '6000',
    NODE_ENV: 'production', // as the image runs it
  },
  // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (written when the gateway stops)
  nodeArgs: process.env['BENCH_GATEWAY_NODE_ARGS']?.split(' ').filter((arg) => arg !== '') ?? [],
  stdout: 'ignore',
});
let stderr = '';
gateway.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
const url = `http://127.0.0.1:${port}/graphql`;
const clients: ReturnType<typeof createClient>[] = [];

type Answer = Record<string, { id: string; createdAt: string; secret: string }>;

async function gql<T = Answer>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

try {
  for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
    if (gateway.exitCode !== null) throw new Error(`the gateway exited: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not become ready: ${stderr}`);
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false)) break;
  }
  const project = (await gql('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `webhooks-${Date.now()}` })).createProject!.id;
  let digest = 0;
  const commit = async (n: number): Promise<{ id: string; committedAt: number }> => {
    digest += 1;
    const { registerDatasetVersion: v } = await gql(MUTATION, {
      input: { project, dataset: `d${n % DATASETS}`, uri: `s3://bench/${digest}`, digest: `sha256:${digest.toString(16).padStart(64, '0')}` },
    });
    return { id: v!.id, committedAt: Date.parse(v!.createdAt) };
  };
  for (let d = 0; d < DATASETS; d++) await commit(d); // creates the datasets before anything is measured

  log(`creating ${webhookCount} webhooks and ${subscriberCount} subscriber(s)`);
  for (let i = 0; i < webhookCount; i++) {
    const path = `/hook/${i}`;
    const { createWebhook } = await gql('mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }', { input: { project, url: `${receiverUrl}${path}` } });
    secrets.set(path, createSigner(createWebhook!.secret));
  }
  for (let i = 0; i < subscriberCount; i++) {
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` }, retryAttempts: 0 });
    clients.push(client);
    client.subscribe(
      { query: 'subscription($p: ID!) { versionEvents(filter: { projects: [$p] }) { subject { id } } }', variables: { p: project } },
      {
        next: (result) => {
          const id = (result.data as { versionEvents: { subject: { id: string } } } | undefined)?.versionEvents.subject.id;
          if (!id) return;
          const list = subscriptionReceipts.get(id) ?? [];
          list.push(epochNow());
          subscriptionReceipts.set(id, list);
        },
        error: (error) => log(`subscription error: ${JSON.stringify(error)}`),
        complete: () => {},
      },
    );
  }

  /** Open loop at the target rate; waits until every event reached every webhook and subscriber. */
  async function flow(count: number, rate: number): Promise<Map<string, number>> {
    const committed = new Map<string, number>();
    const writes: Promise<void>[] = [];
    let inFlight = 0;
    const started = epochNow();
    for (let i = 0; i < count; i++) {
      const wait = started + (i * 1_000) / rate - epochNow();
      if (wait > 0) await sleep(wait);
      while (inFlight >= 16) await sleep(1);
      inFlight += 1;
      writes.push(commit(i).then(({ id, committedAt }) => void committed.set(id, committedAt)).finally(() => (inFlight -= 1)));
    }
    await Promise.all(writes);
    const achieved = count / ((epochNow() - started) / 1_000);
    const done = () => [...committed.keys()].every((id) => (webhookReceipts.get(id)?.length ?? 0) >= webhookCount && (subscriptionReceipts.get(id)?.length ?? 0) >= subscriberCount);
    for (const deadline = epochNow() + 300_000; !done() && epochNow() < deadline; ) await sleep(100);
    log(`${count} events committed at ${achieved.toFixed(1)}/s`);
    return committed;
  }

  if (warmupEvents > 0) {
    log(`warming up with ${warmupEvents} events at ${warmupRate}/s (leases are taken meanwhile)`);
    await flow(warmupEvents, warmupRate);
  }
  log(`measuring ${eventsPerSecond} events/s for ${seconds} s`);
  const committed = await flow(Math.round(eventsPerSecond * seconds), eventsPerSecond);

  const latencies = (receipts: Map<string, number[]>) => [...committed].flatMap(([id, at]) => (receipts.get(id) ?? []).map((t) => t - at));
  const hooks = latencies(webhookReceipts);
  const subs = latencies(subscriptionReceipts);
  const expectedHooks = committed.size * webhookCount;
  const row = (name: string, samples: number[], expected: number) =>
    `| ${name} | ${samples.length}/${expected} | ${percentile(samples, 50).toFixed(1)} | ${percentile(samples, 99).toFixed(1)} | ${samples.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} |`;
  console.log(`\n${webhookCount} webhooks on one receiver, ${subscriberCount} versionEvents subscriber(s), ${eventsPerSecond} events/s for ${seconds} s; commit-to-receipt latency\n`);
  console.log('| consumer | received | p50 ms | p99 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row(`webhooks (${webhookCount})`, hooks, expectedHooks));
  console.log(row(`versionEvents (${subscriberCount})`, subs, committed.size * subscriberCount));
  console.log(`\nsignatures rejected: ${rejected}; duplicate deliveries: ${duplicates}`);
  console.log(`p99 webhooks / versionEvents: ${(percentile(hooks, 99) / percentile(subs, 99)).toFixed(2)}x`);
} finally {
  await Promise.all(clients.map((client) => client.dispose()));
  await stopChild(gateway);
  receiver.closeAllConnections();
  receiver.close();
  await neo4j.stop();
}
