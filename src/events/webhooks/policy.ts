/**
 * What an attempt's result means for the delivery: 2xx delivered; a timeout, a connection
 * error, 429 or 5xx retried after a back-off (the event holds back the webhook's later events);
 * 410 Gone fails the delivery and turns the webhook off; anything else (other 4xx, 3xx since
 * redirects are not followed, an address the SSRF guard refused) fails the delivery and the
 * webhook moves on to its next event.
 */
import type { AttemptResult } from './send.ts';

export type Verdict = 'DELIVERED' | 'RETRY' | 'FAILED' | 'GONE';

export function verdictOf(result: AttemptResult): Verdict {
  if (result.kind === 'error') return result.blocked ? 'FAILED' : 'RETRY';
  const { status } = result;
  if (status >= 200 && status < 300) return 'DELIVERED';
  if (status === 410) return 'GONE';
  if (status === 429 || status >= 500) return 'RETRY';
  return 'FAILED';
}

/** lastError for the delivery record: the error, or the status and the start of the body. */
export function describe(result: AttemptResult): string | null {
  if (result.kind === 'error') return result.error;
  if (result.status >= 200 && result.status < 300) return null;
  const body = result.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return body === '' ? `HTTP ${result.status}` : `HTTP ${result.status}: ${body}`;
}

/**
 * The wait after failed attempt number `attempts` (1-based): the schedule's entry (its last one
 * repeating), stretched to a Retry-After the receiver sent (up to that last entry), times a
 * jitter of 0.8 to 1.2 so webhooks that failed together do not retry together.
 */
export function retryDelay(attempts: number, schedule: readonly number[], retryAfterMs: number | null, random = Math.random): number {
  const base = schedule[Math.min(attempts, schedule.length) - 1]!;
  const wanted = retryAfterMs === null ? base : Math.min(Math.max(base, retryAfterMs), schedule[schedule.length - 1]!);
  return Math.round(wanted * (0.8 + 0.4 * random()));
}

/**
 * The Standard Webhooks `type` of an event kind: the subject and the change, dot-separated,
 * lower case (DATASET_VERSION_CREATED -> dataset_version.created,
 * MODEL_VERSION_STATUS_CHANGED -> model_version.status_changed).
 */
export function eventType(kind: string): string {
  const lower = kind.toLowerCase();
  const change = lower.endsWith('_status_changed') ? 'status_changed' : lower.slice(lower.lastIndexOf('_') + 1);
  const subject = lower.slice(0, lower.length - change.length - 1);
  return subject === '' ? change : `${subject}.${change}`;
}
