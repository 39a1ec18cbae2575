/**
 * The event stream when things go wrong: several gateway instances, a gateway killed right
 * after a commit, Neo4j restarted under connected subscribers, a consumer that stops reading,
 * pruned cursors, and the graphql-ws transport limits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startEmbeddedNeo4j } from '../../src/neo4j/embedded.ts';
import { ADMIN, ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { unique } from '../support/graph.ts';
import { freePort } from '../support/ports.ts';
import { createProject, headCursor, pollAll, registerDataset, subscribe } from '../support/events.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');

/** `node src/main.ts` against the suite's Neo4j; resolves once it serves. */
async function startProcess(port: number): Promise<{ child: ChildProcess; url: string; wsUrl: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', NEO4J_URI: inject('neo4jUri'), PORT: String(port), HOST: '127.0.0.1', PEDIGREE_LOG_LEVEL: 'warn', PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN },
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
  const url = `http://127.0.0.1:${port}/graphql`;
  return { child, url, wsUrl: url.replace(/^http/, 'ws') };
}

function client(url: string): Pick<TestGateway, 'ok'> {
  return {
    async ok<T>(query: string, variables?: Record<string, unknown>) {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: ADMIN }, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data: T; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    },
  };
}

async function until<T>(attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('several gateways and failures', () => {
  it('delivers to a subscriber on one instance every write made through another', async () => {
    await using writer = await startTestGateway({ config: { events: { pollMs: 50 } } });
    await using reader = await startTestGateway({ config: { events: { pollMs: 50 } } });
    const project = await createProject(writer, unique('ev-two'));
    const start = await headCursor(writer);
    const subscriber = await subscribe(reader.gateway.wsUrl, { filter: { projects: [project] }, after: start });
    for (let i = 0; i < 30; i += 1) await registerDataset(writer, project, 'clicks', i + 1);
    await subscriber.waitFor(30);
    expect(subscriber.events).toEqual(await pollAll(writer, { projects: [project] }, start));
    await subscriber.close();
  });

  it('after the gateway is killed right after a commit, a subscriber resuming from its cursor receives the event', async () => {
    const port = await freePort();
    let gateway = await startProcess(port);
    try {
      const api = client(gateway.url);
      const project = await createProject(api, unique('ev-crash'));
      const start = await headCursor(api);
      const before = await subscribe(gateway.wsUrl, { filter: { projects: [project] }, after: start });
      await registerDataset(api, project, 'clicks', 1);
      await before.waitFor(1);
      const committed = await registerDataset(api, project, 'clicks', 2);
      gateway.child.kill('SIGKILL'); // right after the commit was acknowledged
      await before.done;
      gateway = await startProcess(port);
      const after = await subscribe(gateway.wsUrl, { filter: { projects: [project] }, after: before.events.at(-1)!.cursor });
      await after.waitFor(1);
      const union = [...new Map([...before.events, ...after.events].map((e) => [e.id, e])).values()];
      expect(union.map((e) => e.subjectId).at(-1)).toBe(committed);
      expect(union).toEqual(await pollAll(client(gateway.url), { projects: [project] }, start));
      await after.close();
    } finally {
      gateway.child.kill('SIGKILL');
    }
  }, 120_000);

  it('recovers by itself when Neo4j restarts under connected subscribers, and loses nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pedigree-events-restart-'));
    const port = await freePort();
    let neo4j = await startEmbeddedNeo4j({ port, dataDir, heap: '512m', pagecache: '64m', tieToParent: true });
    // A short driver retry window: the dispatcher, not the driver, must ride out the restart.
    const config = { events: { pollMs: 100 }, neo4j: { retryMs: 2_000 } };
    const gateway = await startTestGateway({ neo4jUri: neo4j.uri, config });
    const writer = await startTestGateway({ neo4jUri: neo4j.uri, config });
    try {
      const project = await createProject(gateway, unique('ev-restart'));
      const start = await headCursor(gateway);
      const subscriber = await subscribe(gateway.gateway.wsUrl, { filter: { projects: [project] }, after: start });
      for (let i = 1; i <= 3; i += 1) await registerDataset(gateway, project, 'clicks', i);
      await subscriber.waitFor(3);
      // Committed through another instance just before Neo4j goes away: this one may not have seen them yet.
      for (let i = 4; i <= 5; i += 1) await registerDataset(writer, project, 'clicks', i);
      await neo4j.stop();
      neo4j = await startEmbeddedNeo4j({ port, dataDir, heap: '512m', pagecache: '64m', tieToParent: true });
      for (let i = 6; i <= 7; i += 1) await until(() => registerDataset(gateway, project, 'clicks', i));
      await subscriber.waitFor(7);
      expect(subscriber.errors).toEqual([]);
      expect(subscriber.events).toEqual(await pollAll(gateway, { projects: [project] }, start));
      expect(subscriber.events).toHaveLength(7);
      await subscriber.close();
    } finally {
      await Promise.all([gateway.stop(), writer.stop()]);
      await neo4j.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});

/** A graphql-transport-ws client on a raw socket, so a test can stop reading from it. */
async function rawSocket(wsUrl: string): Promise<{ socket: WebSocket; messages: any[]; closed: Promise<number>; next(predicate: (m: any) => boolean): Promise<any> }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages: any[] = [];
  const waiters: { predicate: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.predicate(message))) waiter.resolve(message);
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return {
    socket,
    messages,
    closed,
    next: (predicate) => {
      const seen = messages.find(predicate);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

describe('slow consumers and retention', () => {
  it('ends the subscription of a consumer that stops reading, naming its last cursor, without slowing the others', async () => {
    // Room for a fast subscriber on a loaded machine; the paused one still overflows within 100 large events.
    await using server = await startTestGateway({ config: { events: { queueSize: 16 } } });
    const project = await createProject(server, unique('ev-slow'));
    const start = await headCursor(server);
    const slow = await rawSocket(server.gateway.wsUrl);
    slow.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ADMIN } }));
    await slow.next((m) => m.type === 'connection_ack');
    slow.socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription($p: ID!, $after: String) { versionEvents(filter: { projects: [$p] }, after: $after) { cursor subject { ... on DatasetVersion { schema } } } }',
          variables: { p: project, after: start },
        },
      }),
    );
    (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const fast = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: start });
    const schema = { columns: Array.from({ length: 2_000 }, (_, i) => ({ name: `column_${i}`, type: 'string', doc: 'x'.repeat(100) })) };
    const total = 100;
    for (let i = 0; i < total; i += 1) await registerDataset(server, project, 'wide', i + 1, { schema });
    await fast.waitFor(total);
    expect(fast.errors).toEqual([]);

    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.next((m) => m.type === 'complete' && m.id === '1');
    const nexts = slow.messages.filter((m) => m.type === 'next');
    const delivered = nexts.filter((m) => m.payload.data).map((m) => m.payload.data.versionEvents.cursor);
    const last = nexts.at(-1).payload;
    expect(last.errors[0].extensions.code).toBe('LIMIT_EXCEEDED');
    expect(last.errors[0].extensions.lastCursor).toBe(delivered.at(-1) ?? start);
    expect(delivered.length).toBeLessThan(total);
    expect(delivered).toEqual(fast.events.slice(0, delivered.length).map((e) => e.cursor));
    slow.socket.close();

    const resumed = await subscribe(server.gateway.wsUrl, { filter: { projects: [project] }, after: last.errors[0].extensions.lastCursor });
    await resumed.waitFor(total - delivered.length);
    expect([...delivered, ...resumed.events.map((e) => e.cursor)]).toEqual(fast.events.map((e) => e.cursor));
    await Promise.all([fast.close(), resumed.close()]);
  }, 180_000);

  it('prunes events past the retention and answers CURSOR_EXPIRED for a cursor before the oldest kept event', async () => {
    await using server = await startTestGateway({ config: { events: { retentionMs: 5_000, pruneIntervalMs: 200 } } });
    const project = await createProject(server, unique('ev-expired'));
    const start = await headCursor(server);
    await registerDataset(server, project, 'clicks', 1);
    await registerDataset(server, project, 'clicks', 2);
    const [first, second] = await pollAll(server, { projects: [project] }, start);
    const query = 'query($after: String) { events(after: $after) { nodes { id } } }';
    const expired = await until(async () => {
      const result = await server.gql(query, { after: first!.cursor });
      if (result.errors?.[0]?.extensions?.['code'] !== 'CURSOR_EXPIRED') throw new Error('not pruned yet');
      return result;
    }, 30_000);
    expect(expired.errors?.[0]?.extensions).toMatchObject({ code: 'CURSOR_EXPIRED', field: 'after' });
    const subscriber = await subscribe(server.gateway.wsUrl, { after: first!.cursor });
    await subscriber.done;
    expect(subscriber.errors[0]?.extensions).toMatchObject({ code: 'CURSOR_EXPIRED' });
    // The cursor of the last pruned event still resumes: nothing after it is gone.
    const third = await registerDataset(server, project, 'clicks', 3);
    const next = await server.ok<any>('query($after: String, $p: ID!) { events(after: $after, filter: { projects: [$p] }) { nodes { subject { id } } } }', {
      after: second!.cursor,
      p: project,
    });
    expect(next.events.nodes.map((n: any) => n.subject.id)).toEqual([third]);
  });
});

describe('graphql-ws hygiene', () => {
  it('closes sockets that never initialise, pings idle ones, refuses oversized messages and validates like HTTP', async () => {
    await using server = await startTestGateway({
      config: { production: true, ws: { connectionInitTimeoutMs: 300, keepAliveMs: 200, maxPayloadBytes: 4_096 } },
    });
    const silent = await rawSocket(server.gateway.wsUrl);
    expect(await silent.closed).toBe(4408);

    const idle = await rawSocket(server.gateway.wsUrl);
    idle.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ADMIN } }));
    await idle.next((m) => m.type === 'connection_ack');
    await new Promise((resolve) => idle.socket.once('ping', resolve));

    const introspection = '{ __schema { queryType { name } } }';
    idle.socket.send(JSON.stringify({ id: 'i', type: 'subscribe', payload: { query: introspection } }));
    const wsError = await idle.next((m) => m.id === 'i' && m.type === 'error');
    const httpError = await server.gql(introspection);
    expect(httpError.errors?.[0]?.message).toMatch(/introspection/i);
    expect(wsError.payload[0].message).toMatch(/introspection has been disabled/);

    idle.socket.send(JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: `{ __typename ${' '.repeat(8_000)} }` } }));
    expect(await idle.closed).toBe(1009);
  });
});
