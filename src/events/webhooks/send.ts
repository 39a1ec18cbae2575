/**
 * One delivery attempt: a POST of the signed body, through the SSRF guard at connection time
 * (address.ts), with one deadline for the whole exchange, no redirects followed (a 3xx is an
 * answer like any other), and at most RESPONSE_BYTES of the response body read.
 *
 * The client is undici's (the HTTP client behind Node's fetch), one keep-alive Agent shared by
 * every webhook of this process: per request it costs about a third less CPU than node:http's
 * client (docs/webhooks.md, Capacity), which is most of a busy gateway's webhook work.
 */
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
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

/** One keep-alive agent for every webhook of this process; the lookup checks each new connection. */
export function createSender(options: { allowPrivate: boolean; timeoutMs: number }): Sender {
  const agent = new Agent({ connect: { lookup: checkedLookup(options.allowPrivate), timeout: options.timeoutMs }, allowH2: false });

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
    // One deadline for connecting, the answer and the body read: a timer cleared on the answer,
    // not AbortSignal.timeout/any, which fire (and build an AbortError) ten seconds after every
    // request, a visible share of the gateway's time at thousands of requests a second.
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, options.timeoutMs);
    const stop = () => deadline.abort();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal: deadline.signal,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'Pedigree-Webhooks' },
        body,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_BYTES) break; // leaving the loop destroys the body: the socket is not reused
        }
      } catch {
        // An answer whose body broke off (deadline, reset) is still the answer: its status counts.
      }
      const retryAfter = Number(response.headers['retry-after']);
      return {
        kind: 'response',
        status: response.statusCode,
        body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BYTES),
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1_000 : null,
      };
    } catch (caught) {
      const error = caught as Error & { code?: string; cause?: Error };
      // The lookup's refusal reaches here as is, or as the cause of undici's connect error.
      const refusal = [error, error.cause].find((e) => e?.name === 'BlockedAddressError');
      if (refusal) return { kind: 'error', error: refusal.message, blocked: true };
      const message = timedOut ? `no answer within ${options.timeoutMs} ms` : signal.aborted ? 'the delivery was stopped' : `${error.code ?? error.name}: ${error.message}`;
      return { kind: 'error', error: message, blocked: false };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }

  return {
    post,
    close() {
      void agent.destroy();
    },
  };
}
