/**
 * Subscription fan-out (bench/README.md): commit-to-client latency with N subscribers at R events/s,
 * for Pedigree and for the limit, a bare `ws` broadcast of a pre-serialized frame, measured in
 * the same call the same way.
 *
 * - Pedigree: `node src/main.ts` as a child process (its own event loop, as deployed), N
 *   graphql-ws subscriptions to `versionEvents(filter: { projects: [p] })`, and writers
 *   committing one `registerDatasetVersion` per event over HTTP at the target rate, round robin
 *   over `DATASETS` datasets (open loop,
 *   at most `maxInFlight` at once; the achieved rate is reported).
 * - Bare broadcast: bench/lib/fanout-broadcast.ts as a child process; each event is an HTTP
 *   trigger sent on the same schedule, answered by one frame of the same shape and size sent
 *   to every socket.
 * - Subscribers: bench/lib/fanout-clients.ts in a child process of their own, the same raw `ws`
 *   client for both (it parses every message as JSON).
 *
 * Latency is commit-to-client, as a subscriber sees it: from the event's commit to its receipt by each
 * subscriber. Pedigree's commit time is the new version's `createdAt`, which Neo4j stamps when
 * the creating statement runs, before the commit: so its latency also counts the commit itself
 * and the sequencer step. The broadcast's is the moment its server took the trigger. Latency
 * from the moment the bench sent the mutation (or trigger) is reported too: it adds the wait for
 * the commit, which under a saturated machine is most of it. `roundTripP50Ms` is the mutation's
 * own round trip. All times are ms since the epoch on this machine's clock (Neo4j's for
 * createdAt). Before measuring, each contender gets `warmupSeconds` of the same traffic to the same
 * subscribers, unmeasured (numbered -2, -3, ...), and then one marker event (-1) that must reach
 * every subscriber: it comes after the warm-up events in every stream, so when it has arrived
 * everywhere, all subscriptions are live and the warm-up has drained. The warm-up matters for
 * Pedigree: Neo4j's JIT compiles the write path over the first few thousand mutations (on this
 * machine Neo4j's CPU per registerDatasetVersion fell from 24 to 7 ms over the first 3,000),
 * and a cold run measures that, not fan-out. Peak RSS is sampled from /proc every 100 ms while
 * events flow; CPU shares are of one core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, spawnServer, stopChild } from './child.ts';
import { freePort } from './gateway.ts';
import type { ClientReport, ConnectOptions } from './fanout-clients.ts';

export interface FanoutOptions {
  readonly neo4jUri: string;
  readonly subscribers: number;
  readonly eventsPerSecond: number;
  readonly seconds: number;
  /** Unmeasured traffic at the same rate before the measured events; default 0. */
  readonly warmupSeconds?: number;
  readonly log: (line: string) => void;
  /** Writes (or triggers) in flight at most; default 16. */
  readonly maxInFlight?: number;
  /** Extra node arguments for the gateway child, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  readonly gatewayNodeArgs?: readonly string[];
  /** Extra environment for the gateway child, e.g. PEDIGREE_EVENTS_POLL_MS. */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
  /** Which contenders to run; default both. */
  readonly contenders?: readonly ContenderName[];
}

export type ContenderName = 'pedigree' | 'broadcast';

export interface ContenderResult {
  readonly name: ContenderName;
  readonly subscribers: number;
  readonly events: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  readonly duplicates: number;
  /** Commit-to-client latency over all deliveries. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Send-to-client latency: the commit's wait included. */
  readonly sendP50Ms: number;
  readonly sendP99Ms: number;
  /** Events committed (or triggered) per second, first send to last response. */
  readonly achievedPerSecond: number;
  /** Median round trip of the mutation (or trigger) itself. */
  readonly roundTripP50Ms: number;
  readonly roundTripP99Ms: number;
  readonly serverRssBeforeMb: number;
  readonly serverRssPeakMb: number;
  /** Server process CPU while events flowed, as a share of one core. */
  readonly serverCpuShare: number;
  readonly clientCpuShare: number;
  readonly frameBytes: number;
  readonly errors: readonly string[];
}

export interface FanoutResult {
  readonly results: readonly ContenderResult[];
  /** Pedigree p99 / broadcast p99 (commit-to-client), when both ran. */
  readonly p99Ratio: number | null;
}

const ROOT = join(import.meta.dirname, '..', '..');
const ADMIN_TOKEN = 'bench-fanout-admin-token-0123456789abcdef';
const QUERY = 'subscription($p: ID!) { versionEvents(filter: { projects: [$p] }) { cursor subject { ... on DatasetVersion { uri } } } }';
const MUTATION = 'mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id createdAt } }';
/**
 * Datasets the writers spread their versions over, round robin. Numbering a dataset's versions
 * takes its lock until commit (gap-free numbers), so with 10 datasets and 16 writes in flight the
 * writers queued on those locks and measured a single dataset's version rate, not fan-out.
 */
const DATASETS = 100;
const epochNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFanout(options: FanoutOptions): Promise<FanoutResult> {
  const results: ContenderResult[] = [];
  for (const name of options.contenders ?? (['broadcast', 'pedigree'] as const)) {
    options.log(`fan-out: ${name}, ${options.subscribers} subscribers, ${options.eventsPerSecond} events/s for ${options.seconds} s`);
    const result = await runContender(name, options);
    options.log(
      `fan-out: ${name}: delivered ${result.delivered}/${result.expected}, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ` +
        `max ${result.maxMs.toFixed(1)} ms, ${result.achievedPerSecond.toFixed(1)} events/s, server RSS peak ${result.serverRssPeakMb.toFixed(0)} MB, ` +
        `server CPU ${(result.serverCpuShare * 100).toFixed(0)}%, clients CPU ${(result.clientCpuShare * 100).toFixed(0)}%`,
    );
    results.push(result);
  }
  const pedigree = results.find((r) => r.name === 'pedigree');
  const broadcast = results.find((r) => r.name === 'broadcast');
  return { results, p99Ratio: pedigree && broadcast ? pedigree.p99Ms / broadcast.p99Ms : null };
}

interface Target {
  readonly process: ChildProcess;
  readonly connect: Omit<ConnectOptions, 'subscribers' | 'events'>;
  /** Sends event n (-1 = the marker, below -1 = warm-up); resolves when committed/answered, with the commit time. */
  send(n: number): Promise<number>;
  stop(): Promise<void>;
}

async function runContender(name: ContenderName, options: FanoutOptions): Promise<ContenderResult> {
  const events = Math.round(options.eventsPerSecond * options.seconds);
  const target = name === 'pedigree' ? await startPedigree(options) : await startBroadcast();
  const clients = fork(join(import.meta.dirname, 'fanout-clients.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const inbox = messages(clients);
    clients.send({ type: 'connect', ...target.connect, subscribers: options.subscribers, events } satisfies { type: 'connect' } & ConnectOptions);
    const connected = await inbox.next(120_000);
    if (connected['type'] !== 'connected') throw new Error(`fan-out clients: ${JSON.stringify(connected)}`);
    const maxInFlight = options.maxInFlight ?? 16;
    const warmupEvents = Math.round(options.eventsPerSecond * (options.warmupSeconds ?? 0));
    if (warmupEvents > 0) {
      options.log(`fan-out: ${name}: warming up with ${warmupEvents} events`);
      await paced(target, { count: warmupEvents, perSecond: options.eventsPerSecond, maxInFlight, numberOf: (i) => -2 - i });
    }
    // Subscriptions are live, and the warm-up has drained, once the marker reached every one of them.
    const warm = inbox.next(120_000);
    await target.send(-1);
    if ((await warm)['type'] !== 'warm') throw new Error('fan-out clients: warm-up not received');

    const rssBefore = rssMb(target.process.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(target.process.pid!))), 100);
    const cpuBefore = cpuMs(target.process.pid!);
    const started = epochNow();
    const { sentAt, committedAt, roundTrips, lastDone } = await paced(target, { count: events, perSecond: options.eventsPerSecond, maxInFlight, numberOf: (i) => i });
    const achievedPerSecond = events / ((lastDone - started) / 1_000);
    const expected = events * options.subscribers;
    const deadline = epochNow() + 30_000;
    let delivered = 0;
    while (epochNow() < deadline) {
      clients.send({ type: 'count' });
      delivered = (await inbox.next(30_000))['delivered'] as number;
      if (delivered >= expected) break;
      await sleep(250);
    }
    const serverCpuShare = (cpuMs(target.process.pid!) - cpuBefore) / (epochNow() - started);
    clearInterval(sampler);
    clients.send({ type: 'report', sentAt, committedAt });
    const report = (await inbox.next(60_000)) as unknown as ClientReport & { type: string };
    roundTrips.sort((a, b) => a - b);
    return {
      name,
      subscribers: options.subscribers,
      events,
      expected,
      delivered: report.delivered,
      lost: expected - report.delivered,
      duplicates: report.duplicates,
      p50Ms: report.fromCommit.p50,
      p99Ms: report.fromCommit.p99,
      maxMs: report.fromCommit.max,
      sendP50Ms: report.fromSend.p50,
      sendP99Ms: report.fromSend.p99,
      achievedPerSecond,
      roundTripP50Ms: roundTrips[Math.floor(roundTrips.length / 2)]!,
      roundTripP99Ms: roundTrips[Math.min(roundTrips.length - 1, Math.floor(roundTrips.length * 0.99))]!,
      serverRssBeforeMb: rssBefore,
      serverRssPeakMb: rssPeak,
      serverCpuShare,
      clientCpuShare: report.cpuShare,
      frameBytes: report.frameBytes,
      errors: report.errors,
    };
  } finally {
    if (clients.connected) clients.send({ type: 'stop' });
    await exited(clients, 10_000);
    await target.stop();
  }
}

/**
 * Sends `count` events open loop at `perSecond` (event i at start + i / perSecond, at most
 * `maxInFlight` unanswered), numbered by `numberOf`; resolves when every one was answered, with
 * each one's send time, commit time and round trip (by index) and the time the last answer came.
 */
async function paced(
  target: Target,
  plan: { count: number; perSecond: number; maxInFlight: number; numberOf: (i: number) => number },
): Promise<{ sentAt: number[]; committedAt: number[]; roundTrips: number[]; lastDone: number }> {
  const sentAt = new Array<number>(plan.count);
  const committedAt = new Array<number>(plan.count);
  const roundTrips = new Array<number>(plan.count);
  const writes: Promise<void>[] = [];
  let inFlight = 0;
  let lastDone = 0;
  const started = epochNow();
  for (let i = 0; i < plan.count; i += 1) {
    const wait = started + (i * 1_000) / plan.perSecond - epochNow();
    if (wait > 0) await sleep(wait);
    while (inFlight >= plan.maxInFlight) await sleep(1);
    inFlight += 1;
    const sent = (sentAt[i] = epochNow());
    writes.push(
      target.send(plan.numberOf(i)).then((committed) => {
        committedAt[i] = committed;
        inFlight -= 1;
        lastDone = epochNow();
        roundTrips[i] = lastDone - sent;
      }),
    );
  }
  await Promise.all(writes);
  return { sentAt, committedAt, roundTrips, lastDone };
}

async function startPedigree(options: FanoutOptions): Promise<Target> {
  const port = await freePort();
  const child = spawnServer(join(ROOT, 'src', 'main.ts'), {
    nodeArgs: options.gatewayNodeArgs ?? [],
    cwd: ROOT,
    env: {
      ...process.env,
      NEO4J_URI: options.neo4jUri,
      PORT: String(port),
      HOST: '127.0.0.1',
      PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN,
      PEDIGREE_RATE_LIMIT_PER_SECOND: '0',
      PEDIGREE_LOG_LEVEL: 'warn',
      ...options.gatewayEnv,
    },
    stdout: 'ignore',
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited during start-up: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not become ready: ${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    await sleep(200);
  }
  const gql = async (query: string, variables: Record<string, unknown>): Promise<Record<string, { id: string; createdAt?: string }>> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: Record<string, { id: string; createdAt?: string }>; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const project = (await gql('mutation($n: String!) { createProject(input: { name: $n }) { id } }', { n: `fanout-${Date.now()}` })).createProject!.id;
  // Before anyone subscribes: a dataset's first version also creates the dataset (under the
  // project's lock), which is not what the measured writes should wait on.
  for (let d = 0; d < DATASETS; d++) {
    await gql(MUTATION, { input: { project, dataset: `d${d}`, uri: `s3://bench/setup/${d}`, digest: `sha256:${'f'.repeat(56)}${d.toString(16).padStart(8, '0')}` } });
  }
  return {
    process: child,
    connect: {
      url: url.replace(/^http/, 'ws'),
      protocol: 'graphql-transport-ws',
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      query: QUERY,
      variables: { p: project },
    },
    send: async (n) => {
      // Distinct digests: measured events and the marker count up from zeros, warm-up events are 'e…'.
      const digest = `sha256:${n >= -1 ? (n + 1).toString(16).padStart(64, '0') : `e${(-n).toString(16).padStart(63, '0')}`}`;
      const { registerDatasetVersion } = await gql(MUTATION, { input: { project, dataset: `d${((n % DATASETS) + DATASETS) % DATASETS}`, uri: `s3://bench/${n}`, digest } });
      return Date.parse(registerDatasetVersion!.createdAt!);
    },
    stop: () => stopChild(child),
  };
}

async function startBroadcast(): Promise<Target> {
  const port = await freePort();
  const child = spawnServer(join(import.meta.dirname, 'fanout-broadcast.ts'), { env: { ...process.env, PORT: String(port) }, stdout: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('listening')) resolve();
    });
    child.once('exit', () => reject(new Error(`the broadcast server exited: ${stderr}`)));
  });
  return {
    process: child,
    connect: { url: `ws://127.0.0.1:${port}/`, protocol: 'none' },
    send: async (n) => {
      const response = await fetch(`http://127.0.0.1:${port}/trigger?n=${n}`, { method: 'POST' });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`trigger answered ${response.status}`);
      return Number(response.headers.get('x-committed-at'));
    },
    stop: () => stopChild(child),
  };
}

/** A queue of IPC messages from a child, awaited one at a time. */
function messages(child: ChildProcess) {
  const queue: Record<string, unknown>[] = [];
  const waiters: ((message: Record<string, unknown>) => void)[] = [];
  child.on('message', (message: Record<string, unknown>) => {
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  child.once('exit', (code) => {
    for (const waiter of waiters.splice(0)) waiter({ type: 'exited', code });
  });
  return {
    next(timeoutMs: number): Promise<Record<string, unknown>> {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fan-out clients: no answer in ${timeoutMs} ms`)), timeoutMs);
        waiters.push((message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
    },
  };
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  } catch {
    return 0;
  }
}

/** User + system CPU time of a process, in ms (Linux clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
