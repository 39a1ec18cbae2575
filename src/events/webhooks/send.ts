/**
 * One delivery attempt: a POST of the signed body, through the SSRF guard at connection time
 * (address.ts), with one deadline for the whole exchange, no redirects followed (a 3xx is an
 * answer like any other), and at most RESPONSE_BYTES of the response body read.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { checkedLookup, hostOf, resolveTarget } from './address.ts';

/** The most of a response body read (for lastError); the rest is discarded with the socket. */
export const RESPONSE_BYTES = 4_096;

export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'error'; readonly error: string; readonly blocked: boolean };

export interface Sender {
  post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<AttemptResult>;
  close(): void;
}

/** Keep-alive agents shared by every webhook of this process; the lookup checks each new connection. */
export function createSender(options: { allowPrivate: boolean; timeoutMs: number }): Sender {
  const lookup = checkedLookup(options.allowPrivate);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, lookup }),
    'https:': new https.Agent({ keepAlive: true, lookup }),
  };

  async function post(raw: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<AttemptResult> {
    const url = new URL(raw);
    const host = hostOf(url);
    // A literal address never reaches `lookup`: check it here.
    if (isIP(host) !== 0) {
      try {
        await resolveTarget(host, options.allowPrivate);
      } catch (error) {
        return { kind: 'error', error: (error as Error).message, blocked: true };
      }
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      let timedOut = false;
      // A timer and a listener cleared on the answer, not AbortSignal.timeout/any: those fire (and
      // build an AbortError) ten seconds after every request, which at thousands of requests a
      // second was a visible share of the gateway's time.
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
        resolve(result);
      };
      const request = client.request(url, {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        lookup,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Pedigree-Webhooks' },
      });
      const abort = () => request.destroy(new Error('the delivery was stopped'));
      const timer = setTimeout(() => {
        timedOut = true;
        request.destroy(new Error('timed out'));
      }, options.timeoutMs);
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const retryAfter = Number(response.headers['retry-after']);
          finish({
            kind: 'response',
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BYTES),
            retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1_000 : null,
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (size >= RESPONSE_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_BYTES) {
            done();
            response.destroy(); // the socket is not reused: the rest of the body is never read
          }
        });
        response.on('end', done);
        response.on('error', done);
        response.on('aborted', done);
      });
      request.on('error', (error: Error & { code?: string }) => {
        const blocked = error.name === 'BlockedAddressError';
        finish({ kind: 'error', error: timedOut ? `no answer within ${options.timeoutMs} ms` : `${error.code ?? error.name}: ${error.message}`, blocked });
      });
      request.end(body);
    });
  }

  return {
    post,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
