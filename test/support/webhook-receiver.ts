/**
 * A webhook receiver on 127.0.0.1, as a user would write one: every request is verified with
 * the `standardwebhooks` package against the secret of its path's webhook and recorded.
 * Each path answers through its own responder (status and optional delay), 200 by default.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  readonly path: string;
  /** The webhook-id header. */
  readonly id: string;
  readonly body: Record<string, any>;
  readonly receivedAt: number;
  /** The status this receiver answered. */
  readonly status: number;
}

export type Responder = (request: { id: string; attempt: number }) => { status: number; delayMs?: number } | number;

export interface Receiver {
  readonly baseUrl: string;
  /** Requests that verified, in arrival order (every path). */
  readonly received: ReceivedDelivery[];
  /** Requests whose signature did not verify (must stay empty). */
  readonly rejected: { path: string; reason: string }[];
  url(path: string): string;
  /** The secret to verify a path's requests with (from createWebhook). */
  secret(path: string, secret: string): void;
  respond(path: string, responder: Responder): void;
  /** Verified requests of one path, in arrival order. */
  of(path: string): ReceivedDelivery[];
  /** Resolves once `predicate` holds on what was received. */
  until(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startReceiver(): Promise<Receiver> {
  const secrets = new Map<string, Webhook>();
  const responders = new Map<string, Responder>();
  const attempts = new Map<string, number>();
  const received: ReceivedDelivery[] = [];
  const rejected: { path: string; reason: string }[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer(async (request, response) => {
    const path = request.url ?? '/';
    const payload = await readBody(request);
    const verifier = secrets.get(path);
    if (!verifier) {
      rejected.push({ path, reason: 'no secret for this path' });
      response.writeHead(401).end();
      return;
    }
    let body: Record<string, any>;
    try {
      body = verifier.verify(payload, request.headers as Record<string, string>) as Record<string, any>;
    } catch (error) {
      rejected.push({ path, reason: (error as Error).message });
      response.writeHead(401).end();
      return;
    }
    const id = String(request.headers['webhook-id']);
    const key = `${path} ${id}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const answer = (responders.get(path) ?? (() => 200))({ id, attempt });
    const { status, delayMs = 0 } = typeof answer === 'number' ? { status: answer } : answer;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? `answered ${status}` : 'ok');
    received.push({ path, id, body, receivedAt: Date.now(), status });
    for (const waiter of waiters) waiter();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    received,
    rejected,
    url: (path) => `${baseUrl}${path}`,
    secret: (path, secret) => void secrets.set(path, new Webhook(secret)),
    respond: (path, responder) => void responders.set(path, responder),
    of: (path) => received.filter((r) => r.path === path),
    until(predicate, timeoutMs = 120_000, what = 'deliveries') {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; received ${received.length}, rejected ${JSON.stringify(rejected.slice(0, 3))}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
