/**
 * Webhooks end to end: real gateways (in-process and as child processes), the suite's Neo4j, and
 * a real HTTP receiver on 127.0.0.1 that verifies every request with the `standardwebhooks`
 * package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { graphCounts, testDriver, unique } from '../support/graph.ts';
import { freePort } from '../support/ports.ts';
import { createProject, headCursor, pollAll, registerDataset, sha, subscribe } from '../support/events.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

/** Leases of 4 s (renewed every 1.3 s) and retries after 50, 100, then 200 ms. */
const LEASE_MS = 4_000;
const FAST = { webhooks: { allowPrivate: true, leaseMs: LEASE_MS, retryScheduleMs: [50, 100, 200], retryForMs: 60_000 } };
const FAST_ENV = { PEDIGREE_WEBHOOK_ALLOW_PRIVATE: 'true', PEDIGREE_WEBHOOK_LEASE_MS: String(LEASE_MS), PEDIGREE_WEBHOOK_RETRY_SCHEDULE_MS: '50,100,200' };

const CREATE = `mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url kinds names active project { id } createdBy { id } } }
}`;
const LIST = `query($project: ID!, $first: Int!) {
  webhooks(project: $project) {
    id active url
    deliveries(first: $first) { id state attempts lastStatusCode lastError deliveredAt nextAttemptAt event { id kind subject { id } } }
  }
}`;

type Api = Pick<TestGateway, 'ok' | 'gql'>;

async function createWebhook(api: Api, receiver: Receiver, path: string, input: Record<string, unknown>): Promise<string> {
  const { createWebhook: created } = await api.ok<any>(CREATE, { input: { url: receiver.url(path), ...input } });
  receiver.secret(path, created.secret);
  return created.webhook.id;
}

async function webhooksOf(api: Api, project: string, first = 50): Promise<any[]> {
  return (await api.ok<any>(LIST, { project, first })).webhooks;
}

/** The gateway's webhook metrics: attempts by outcome and the number of delivery latencies observed. */
async function webhookMetrics(api: TestGateway): Promise<{ attempts: Record<string, number>; latencies: number }> {
  const text = await (await fetch(api.url.replace('/graphql', '/metrics'))).text();
  const attempts: Record<string, number> = {};
  for (const [, outcome, value] of text.matchAll(/^pedigree_webhook_attempts_total\{outcome="(\w+)"\} (\d+)$/gm)) attempts[outcome!] = Number(value);
  const latencies = Number(/^pedigree_webhook_delivery_seconds_count (\d+)$/m.exec(text)?.[1] ?? 0);
  return { attempts, latencies };
}

async function until<T>(attempt: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * One recordLineage batch (one commit) of `datasets` dataset versions of 'clicks' numbered from
 * `from`, with a run started after every tenth: DATASET_VERSION_CREATED and RUN_STARTED events.
 */
async function recordBatch(api: Api, project: string, from: number, datasets: number, runs = true): Promise<void> {
  const nodes: Record<string, unknown>[] = [];
  for (let i = from; i < from + datasets; i += 1) {
    nodes.push({ key: `d${i}`, kind: 'DATASET_VERSION', fields: { dataset: 'clicks', uri: `s3://test/clicks/${i}`, digest: sha(i) } });
    if (runs && i % 10 === 0) nodes.push({ key: `r${i}`, kind: 'RUN', fields: { name: `train-${i}`, type: 'TRAINING' } });
  }
  await api.ok('mutation($input: LineageBatchInput!) { recordLineage(input: $input) { ids } }', { input: { project, nodes, edges: [] } });
}

// Generous: the machine may be shared; nothing here measures time.
vi.setConfig({ testTimeout: 300_000 });

const driver = testDriver();
let server: TestGateway;
let receiver: Receiver;

beforeAll(async () => {
  server = await startTestGateway({ config: FAST });
});

afterAll(async () => {
  await server.stop();
  await driver.close();
});

afterEach(async () => {
  // No webhook outlives its test: a later test's gateways would otherwise deliver it.
  await driver.executeQuery('MATCH (w:Webhook) DETACH DELETE w');
  await receiver?.close();
});

describe('delivery', () => {
  it('delivers 200 events in commit order, exactly the filtered kinds, and nothing of another project', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-order'));
    const other = await createProject(server, unique('wh-other'));
    const start = await headCursor(server);
    const datasets = await createWebhook(server, receiver, '/datasets', { project, kinds: ['DATASET_VERSION_CREATED'] });
    await createWebhook(server, receiver, '/all', { project });
    // The project's batches (110 events each) are stored in the compact layout, the other's (5) event by event.
    for (let from = 1; from <= 200; from += 100) {
      await recordBatch(server, project, from, 100);
      await recordBatch(server, other, from, 5);
    }
    const groups = await driver.executeQuery('MATCH (e:Event {projectId: $project}) WHERE e.count IS NOT NULL RETURN count(e) AS n', { project });
    expect(groups.records[0]!.get('n')).toBe(2);
    const expectedDatasets = await pollAll(server, { projects: [project], kinds: ['DATASET_VERSION_CREATED'] }, start);
    const expectedAll = await pollAll(server, { projects: [project] }, start);
    expect(expectedDatasets).toHaveLength(200);
    expect(expectedAll).toHaveLength(220);
    await receiver.until(() => receiver.of('/datasets').length >= 200 && receiver.of('/all').length >= 220);

    expect(receiver.rejected).toEqual([]);
    expect(receiver.of('/datasets').map((r) => r.id)).toEqual(expectedDatasets.map((e) => e.id));
    expect(receiver.of('/all').map((r) => r.id)).toEqual(expectedAll.map((e) => e.id));
    expect(new Set(receiver.of('/all').map((r) => r.body.kind))).toEqual(new Set(['DATASET_VERSION_CREATED', 'RUN_STARTED']));
    expect(receiver.received.every((r) => r.body.project.id === project)).toBe(true);

    const first = receiver.of('/datasets')[0]!;
    expect(first.body).toEqual({
      type: 'dataset_version.created',
      id: expectedDatasets[0]!.id,
      cursor: expectedDatasets[0]!.cursor,
      kind: 'DATASET_VERSION_CREATED',
      occurredAt: expect.any(String),
      project: { id: project, name: expect.any(String) },
      subject: { id: expectedDatasets[0]!.subjectId, kind: 'DATASET_VERSION', displayName: 'clicks@1' },
      previous: null,
      alias: null,
      actor: { id: 'admin' },
    });
    expect(receiver.of('/datasets')[1]!.body.previous).toEqual({ id: expectedDatasets[0]!.subjectId, kind: 'DATASET_VERSION', displayName: 'clicks@1' });
    expect(receiver.of('/all').find((r) => r.body.kind === 'RUN_STARTED')!.body.type).toBe('run.started');

    // The delivery record is written after the receiver answers, so it may trail the receiver by one flush.
    const lastId = expectedDatasets.at(-1)!.id;
    const hooks = await until(() => webhooksOf(server, project, 3), (ws) => ws.find((w) => w.id === datasets)?.deliveries[0]?.id === lastId);
    const hook = hooks.find((w) => w.id === datasets)!;
    expect(hook.deliveries.map((d: any) => d.id)).toEqual(expectedDatasets.slice(-3).reverse().map((e) => e.id));
    expect(hook.deliveries.every((d: any) => d.state === 'DELIVERED' && d.attempts === 1 && d.lastStatusCode === 200 && d.deliveredAt !== null)).toBe(true);
  });

  it('retries a receiver that answers 500 three times, holding later events back, then delivers and records the attempts', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-retry'));
    const start = await headCursor(server);
    const metricsBefore = await webhookMetrics(server);
    await createWebhook(server, receiver, '/flaky', { project });
    let firstEvent: string | null = null;
    receiver.respond('/flaky', ({ id, attempt }) => {
      firstEvent ??= id;
      return id === firstEvent && attempt <= 3 ? 500 : 200;
    });
    await registerDataset(server, project, 'clicks', 1);
    await registerDataset(server, project, 'clicks', 2);
    const events = await pollAll(server, { projects: [project] }, start);
    await receiver.until(() => receiver.of('/flaky').filter((r) => r.status === 200).length >= 2);

    const [e1, e2] = events.map((e) => e.id);
    expect(receiver.of('/flaky').map((r) => [r.id, r.status])).toEqual([
      [e1, 500],
      [e1, 500],
      [e1, 500],
      [e1, 200],
      [e2, 200],
    ]);
    const [hook] = await until(
      () => webhooksOf(server, project),
      ([w]) => w.deliveries.length === 2 && w.deliveries.every((d: any) => d.state === 'DELIVERED'),
    );
    expect(hook.deliveries.map((d: any) => [d.id, d.state, d.attempts, d.lastStatusCode, d.lastError, d.nextAttemptAt])).toEqual([
      [e2, 'DELIVERED', 1, 200, null, null],
      [e1, 'DELIVERED', 4, 200, null, null],
    ]);
    // Every attempt is counted by outcome; each delivered event's latency is observed once.
    const metrics = await webhookMetrics(server);
    expect((metrics.attempts['retry'] ?? 0) - (metricsBefore.attempts['retry'] ?? 0)).toBe(3);
    expect((metrics.attempts['delivered'] ?? 0) - (metricsBefore.attempts['delivered'] ?? 0)).toBe(2);
    expect(metrics.latencies - metricsBefore.latencies).toBe(2);
  });

  it('holds back only the webhook whose receiver keeps failing: other webhooks and subscribers get every event', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-isolated'));
    const start = await headCursor(server);
    const subscriber = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: start });
    await createWebhook(server, receiver, '/down', { project });
    await createWebhook(server, receiver, '/up', { project });
    receiver.respond('/down', () => 503);
    await recordBatch(server, project, 1, 3, false);
    const expected = (await pollAll(server, { projects: [project] }, start)).map((e) => e.id);
    await receiver.until(() => receiver.of('/up').length >= 3);
    await subscriber.waitFor(3, 120_000);
    expect(receiver.of('/up').map((r) => r.id)).toEqual(expected);
    expect(subscriber.events.map((e) => e.id)).toEqual(expected);
    // The failing webhook is still retrying its first event; its later events wait behind it.
    const down = await until(
      async () => (await webhooksOf(server, project)).find((w) => w.url.endsWith('/down')),
      (w) => w.deliveries.length === 1 && w.deliveries[0].attempts >= 2,
    );
    expect(down.deliveries[0]).toMatchObject({ id: expected[0], state: 'PENDING', lastStatusCode: 503, lastError: 'HTTP 503: answered 503' });
    expect(down.deliveries[0].nextAttemptAt).not.toBeNull();
    expect(new Set(receiver.of('/down').map((r) => r.id))).toEqual(new Set([expected[0]]));
    // The deliveries of both webhooks come from one statement (a loader), not one per webhook.
    expect(await webhooksOf(server, project)).toHaveLength(2);
    expect(server.lastQueries().filter((q) => q.unit === 'webhookDeliveries')).toHaveLength(1);
    await subscriber.close();
  });

  it('fails a delivery answered with another 4xx and moves on to the next event', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-400'));
    const start = await headCursor(server);
    await createWebhook(server, receiver, '/picky', { project });
    let firstEvent: string | null = null;
    receiver.respond('/picky', ({ id }) => {
      firstEvent ??= id;
      return id === firstEvent ? 422 : 200;
    });
    await registerDataset(server, project, 'clicks', 1);
    await registerDataset(server, project, 'clicks', 2);
    const [e1, e2] = (await pollAll(server, { projects: [project] }, start)).map((e) => e.id);
    await receiver.until(() => receiver.of('/picky').length >= 2);
    expect(receiver.of('/picky').map((r) => [r.id, r.status])).toEqual([
      [e1, 422],
      [e2, 200],
    ]);
    const [hook] = await until(() => webhooksOf(server, project), ([w]) => w.deliveries.length === 2 && w.deliveries[0].state === 'DELIVERED');
    expect(hook.deliveries.map((d: any) => [d.id, d.state, d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      [e2, 'DELIVERED', 1, 200, null],
      [e1, 'FAILED', 1, 422, 'HTTP 422: answered 422'],
    ]);
  });

  it('turns a webhook off when its receiver answers 410 Gone, and sends it nothing more', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-gone'));
    const start = await headCursor(server);
    const gone = await createWebhook(server, receiver, '/gone', { project });
    await createWebhook(server, receiver, '/witness', { project });
    receiver.respond('/gone', () => 410);
    await registerDataset(server, project, 'clicks', 1);
    const hooks = await until(() => webhooksOf(server, project), (ws) => ws.some((w) => w.id === gone && !w.active));
    const hook = hooks.find((w) => w.id === gone)!;
    const [e1] = (await pollAll(server, { projects: [project] }, start)).map((e) => e.id);
    expect(hook.deliveries.map((d: any) => [d.id, d.state, d.attempts, d.lastStatusCode])).toEqual([[e1, 'FAILED', 1, 410]]);

    await registerDataset(server, project, 'clicks', 2);
    // The other webhook of the project receives the second event; the gone one never does.
    await receiver.until(() => receiver.of('/witness').length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.of('/gone').map((r) => r.id)).toEqual([e1]);
  });

  it('stops delivering a paused webhook and resumes from where it stopped; a deleted one is gone', async () => {
    receiver = await startReceiver();
    const project = await createProject(server, unique('wh-pause'));
    const start = await headCursor(server);
    const id = await createWebhook(server, receiver, '/paused', { project });
    await registerDataset(server, project, 'clicks', 1);
    await receiver.until(() => receiver.of('/paused').length >= 1);
    const paused = await server.ok<any>('mutation($id: ID!) { setWebhookActive(id: $id, active: false) { id active } }', { id });
    expect(paused.setWebhookActive).toEqual({ id, active: false });
    // The holder sends nothing once the lease it held when the webhook was paused has run out.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    await registerDataset(server, project, 'clicks', 2);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.of('/paused')).toHaveLength(1);
    await server.ok('mutation($id: ID!) { setWebhookActive(id: $id, active: true) { id } }', { id });
    await receiver.until(() => receiver.of('/paused').length >= 2);
    expect(receiver.of('/paused').map((r) => r.id)).toEqual((await pollAll(server, { projects: [project] }, start)).map((e) => e.id));

    expect((await server.ok<any>('mutation($id: ID!) { deleteWebhook(id: $id) }', { id })).deleteWebhook).toBe(true);
    expect(await webhooksOf(server, project)).toEqual([]);
    const again = await server.gql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id });
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('who and where', () => {
  it('refuses URLs that resolve to loopback, private, link-local or metadata addresses without the setting, writing nothing', async () => {
    await using strict = await startTestGateway({ config: { webhooks: { deliver: false } } });
    const project = await createProject(strict, unique('wh-ssrf'));
    const before = await graphCounts(driver);
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://192.168.0.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[fd00:ec2::254]/hook',
      'http://0.0.0.0/hook',
    ]) {
      const result = await strict.gql(CREATE, { input: { project, url } });
      expect(result.errors?.[0]?.extensions, url).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    }
    for (const url of ['ftp://example.com/hook', 'not a url', 'https://user:pw@example.com/hook']) {
      const result = await strict.gql(CREATE, { input: { project, url } });
      expect(result.errors?.[0]?.extensions, url).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.url' });
    }
    const badKind = await strict.gql(CREATE, { input: { project, url: 'https://93.184.215.14/hook', names: [] } });
    expect(badKind.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.names' });
    expect(await graphCounts(driver)).toEqual(before);
  });

  it('checks the address again at send time: a gateway without the setting refuses to deliver to a private address', async () => {
    receiver = await startReceiver();
    await server.stop(); // the strict gateway below is the only deliverer
    const creator = await startTestGateway({ config: { webhooks: { allowPrivate: true, deliver: false } } });
    const strict = await startTestGateway({ config: { webhooks: { allowPrivate: false, leaseMs: LEASE_MS } } });
    try {
      const project = await createProject(strict, unique('wh-sendcheck'));
      const start = await headCursor(strict);
      await createWebhook(creator, receiver, '/private', { project });
      await registerDataset(strict, project, 'clicks', 1);
      const [e1] = (await pollAll(strict, { projects: [project] }, start)).map((e) => e.id);
      const [hook] = await until(() => webhooksOf(strict, project), ([w]) => w?.deliveries.length === 1);
      expect(hook.deliveries[0]).toMatchObject({ id: e1, state: 'FAILED', attempts: 1, lastStatusCode: null });
      expect(hook.deliveries[0].lastError).toMatch(/127\.0\.0\.1, a loopback, private, link-local or reserved address/);
      expect(receiver.received).toEqual([]);
    } finally {
      await Promise.all([creator.stop(), strict.stop()]);
      server = await startTestGateway({ config: FAST });
    }
  });

  it('lets only project admins create and list webhooks: a VIEWER gets FORBIDDEN and nothing is written', async () => {
    const project = await createProject(server, unique('wh-viewer'));
    const viewer = (await server.ok<any>('mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }', { input: { project, role: 'VIEWER', name: unique('tok') } }))
      .createApiToken.token;
    const auth = { authorization: `Bearer ${viewer}` };
    const before = await graphCounts(driver);
    const created = await server.gql(CREATE, { input: { project, url: 'http://127.0.0.1:9/hook' } }, auth);
    expect(created.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const listed = await server.gql(LIST, { project, first: 1 }, auth);
    expect(listed.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await graphCounts(driver)).toEqual(before);
    const elsewhere = await createProject(server, unique('wh-elsewhere'));
    const hidden = await server.gql(CREATE, { input: { project: elsewhere, url: 'http://127.0.0.1:9/hook' } }, auth);
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

/** `node src/main.ts` against the suite's Neo4j; resolves once it serves. */
async function startProcess(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      NEO4J_URI: inject('neo4jUri'),
      PORT: String(port),
      HOST: '127.0.0.1',
      PEDIGREE_LOG_LEVEL: 'warn',
      PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN,
      PEDIGREE_RATE_LIMIT_PER_SECOND: '0',
      ...FAST_ENV,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/serving http/.test(stderr)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${stderr}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/graphql` };
}

function client(url: string): Api {
  const gql = async (query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as any;
  };
  return {
    gql,
    async ok(query: string, variables?: Record<string, unknown>) {
      const body = await gql(query, variables);
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  } as Api;
}

describe('several gateways and failures', () => {
  it('delivers everything after a gateway is killed between commits and their delivery and started again', async () => {
    receiver = await startReceiver();
    await server.stop(); // the child processes are the only deliverers
    const port = await freePort();
    let gateway = await startProcess(port);
    try {
      const api = client(gateway.url);
      const project = await createProject(api, unique('wh-kill'));
      const start = await headCursor(api);
      await createWebhook(api, receiver, '/slow', { project });
      receiver.respond('/slow', () => ({ status: 200, delayMs: 300 }));
      await recordBatch(api, project, 1, 10, false);
      gateway.child.kill('SIGKILL'); // right after the commit was acknowledged
      await new Promise((resolve) => gateway.child.once('exit', resolve));
      const sentBeforeKill = receiver.of('/slow').length;
      gateway = await startProcess(port);
      const expected = (await pollAll(client(gateway.url), { projects: [project] }, start)).map((e) => e.id);
      expect(expected).toHaveLength(10);
      expect(sentBeforeKill).toBeLessThan(10);
      await receiver.until(() => new Set(receiver.of('/slow').map((r) => r.id)).size >= 10);
      expect(receiver.rejected).toEqual([]);
      // At least once, in order: the first arrival of each event follows commit order.
      expect([...new Set(receiver.of('/slow').map((r) => r.id))]).toEqual(expected);
      const [hook] = await until(
        () => webhooksOf(client(gateway.url), project),
        ([w]) => w.deliveries.length === 10 && w.deliveries.every((d: any) => d.state === 'DELIVERED'),
      );
      expect(hook.deliveries.map((d: any) => d.id)).toEqual([...expected].reverse());
    } finally {
      gateway.child.kill('SIGKILL');
      server = await startTestGateway({ config: FAST });
    }
  });

  it('shares the webhooks between two gateways, delivering each event once to each webhook', async () => {
    receiver = await startReceiver();
    // Leases long enough that a loaded machine renews them in time: normal operation.
    const config = { webhooks: { ...FAST.webhooks, leaseMs: 15_000 } };
    await server.stop();
    const first = await startTestGateway({ config });
    const second = await startTestGateway({ config });
    try {
      const project = await createProject(first, unique('wh-share'));
      const start = await headCursor(first);
      const paths = Array.from({ length: 10 }, (_, i) => `/shared-${i}`);
      for (const path of paths) await createWebhook(first, receiver, path, { project });
      // Both gateways hold some of the webhooks once their leases settle.
      await until(
        async () => (await driver.executeQuery('MATCH (w:Webhook) RETURN collect(w.leaseOwner) AS owners')).records[0]!.get('owners') as (string | null)[],
        (owners) => owners.length === 10 && owners.every((o) => o !== null) && new Set(owners).size === 2,
      );
      await recordBatch(first, project, 1, 10, false);
      await recordBatch(second, project, 11, 10, false);
      const expected = (await pollAll(first, { projects: [project] }, start)).map((e) => e.id);
      expect(expected).toHaveLength(20);
      await receiver.until(() => paths.every((path) => receiver.of(path).length >= 20));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.rejected).toEqual([]);
      for (const path of paths) expect(receiver.of(path).map((r) => r.id), path).toEqual(expected);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      server = await startTestGateway({ config: FAST });
    }
  });
});
