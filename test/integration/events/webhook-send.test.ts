import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSender, RESPONSE_BYTES } from '../../../src/events/webhooks/send.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    if (request.url === '/silent') return; // never answers
    if (request.url === '/large') return void response.writeHead(500).end('x'.repeat(RESPONSE_BYTES * 4));
    if (request.url === '/redirect') return void response.writeHead(307, { location: '/ok' }).end();
    response.writeHead(request.url === '/busy' ? 429 : 200, request.url === '/busy' ? { 'retry-after': '7' } : {}).end('fine');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('webhook sender', () => {
  const sender = createSender({ allowPrivate: true, timeoutMs: 300 });
  afterAll(() => sender.close());
  const post = (path: string, signal = new AbortController().signal) => sender.post(`${base}${path}`, { 'webhook-id': 'evt_1' }, '{}', signal);

  it('answers with the status and body, and reads Retry-After', async () => {
    expect(await post('/ok')).toEqual({ kind: 'response', status: 200, body: 'fine', retryAfterMs: null });
    expect(await post('/busy')).toMatchObject({ kind: 'response', status: 429, retryAfterMs: 7_000 });
  });

  it('gives up on a receiver that does not answer within the timeout, and can send again after', async () => {
    expect(await post('/silent')).toEqual({ kind: 'error', error: 'no answer within 300 ms', blocked: false });
    expect(await post('/ok')).toMatchObject({ kind: 'response', status: 200 });
  });

  it('stops an attempt in flight when its signal aborts', async () => {
    const stop = new AbortController();
    const attempt = post('/silent', stop.signal);
    setTimeout(() => stop.abort(), 50);
    const result = await attempt;
    expect(result.kind).toBe('error');
    expect(result.kind === 'error' && result.error).not.toMatch(/no answer within/);
  });

  it('reads at most RESPONSE_BYTES of a body and follows no redirect', async () => {
    const large = await post('/large');
    expect(large).toMatchObject({ kind: 'response', status: 500 });
    expect(large.kind === 'response' && large.body.length).toBe(RESPONSE_BYTES);
    expect(await post('/redirect')).toMatchObject({ kind: 'response', status: 307 });
  });

  it('refuses at connection time a host name that resolves to a private address, and a literal one before connecting', async () => {
    const strict = createSender({ allowPrivate: false, timeoutMs: 1_000 });
    try {
      const port = new URL(base).port;
      for (const url of [`http://localhost:${port}/ok`, `${base}/ok`]) {
        const result = await strict.post(url, {}, '{}', new AbortController().signal);
        expect(result, url).toMatchObject({ kind: 'error', blocked: true });
        expect(result.kind === 'error' && result.error, url).toMatch(/resolves to (127\.0\.0\.1|::1), a loopback, private, link-local or reserved address/);
      }
    } finally {
      strict.close();
    }
  });
});
