/**
 * The worker of one webhook in the gateway that holds its lease: it reads the project's events
 * after the webhook's cursor through the dispatcher (replay from Neo4j, then live, in seq
 * order; src/events/replay.ts), and delivers them one at a time, so a receiver sees the
 * webhook's events in commit order. An event that must be retried holds back the events after
 * it; its subscription is closed meanwhile (nothing queues up in memory) and opened again from
 * the cursor once the event is done. Only this webhook waits: every webhook has its own worker.
 *
 * Stopping: `drain` ends the worker after the attempt in flight (a lease handed over or a
 * shutdown: what was sent is recorded, so the next holder does not send it again); `kill` also
 * aborts that attempt (the lease is lost: the event is sent again by the next holder, which is
 * what at-least-once allows).
 */
import type { Logger } from 'pino';
import { ErrorCode, PedigreeError } from '../../domain/errors.ts';
import type { DeliveryRecord, HeldWebhook } from '../../neo4j/queries/webhooks.ts';
import type { Dispatcher } from '../dispatcher.ts';
import type { Delivery } from '../subscription.ts';
import { describe, retryDelay, verdictOf } from './policy.ts';
import { createSigner } from './secrets.ts';
import type { Sender } from './send.ts';

export type EventDelivery = Extract<Delivery, { event: unknown }>;

/** An unfinished delivery an earlier holder left behind: its attempts and back-off continue. */
export interface CarriedDelivery {
  readonly eventId: string;
  readonly attempts: number;
  readonly firstAttemptMs: number;
  readonly nextAttemptMs: number | null;
}

export interface WorkerDeps {
  readonly held: HeldWebhook;
  /** The signing secret in the clear (`whsec_...`). */
  readonly secret: string;
  readonly carried: CarriedDelivery | null;
  readonly dispatcher: Pick<Dispatcher, 'subscribe'>;
  readonly sender: Sender;
  /** The JSON body of an event, shared by every webhook it goes to; rejects when it cannot be read yet. */
  readonly body: (delivery: EventDelivery) => Promise<string>;
  /** Queues a delivery record (and a cursor move when `done`) for the next batched write. */
  readonly record: (record: DeliveryRecord) => void;
  /** Records the failed delivery and turns the webhook off, at once (410 Gone). */
  readonly gone: (record: DeliveryRecord) => Promise<void>;
  /** Moves the cursor past events that cannot be delivered any more (pruned). */
  readonly skipTo: (seq: number) => Promise<void>;
  /** The oldest seq still in the log (everything at or below it was pruned). */
  readonly prunedThrough: () => Promise<number>;
  /** Until when (local clock) this gateway's lease on the webhook is certainly valid. */
  readonly leaseValidUntil: () => number;
  readonly retryScheduleMs: readonly number[];
  readonly retryForMs: number;
  readonly drain: AbortSignal;
  readonly kill: AbortSignal;
  readonly logger: Logger;
}

type Outcome = 'next' | 'gone' | 'stopped';

/** Deliveries a worker reads before it needs them, their bodies rendering meanwhile. */
const READ_AHEAD = 32;

/**
 * The deliveries of `stream` in order, read up to `ahead` before they are needed. Each is handed
 * to `prefetch` as soon as it is read (the worker starts rendering its body), so the next body is
 * ready while the current event is being sent, and the renders of one page start together and
 * share that page's loaders (one query per label). The stream has one consumer, so reading is one
 * `next()` at a time. Ends when the stream ends (closing it ends a parked read) or throws.
 */
export async function* readAhead<T>(stream: AsyncIterator<T>, ahead: number, prefetch: (item: T) => void): AsyncGenerator<T> {
  const buffer: T[] = [];
  let ended = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  let room: (() => void) | null = null;
  const signal = (waiter: (() => void) | null) => waiter?.();
  void (async () => {
    try {
      while (!ended) {
        if (buffer.length >= ahead) {
          await new Promise<void>((resolve) => (room = resolve));
          continue;
        }
        const result = await stream.next();
        if (result.done) break;
        prefetch(result.value);
        buffer.push(result.value);
        signal(wake);
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      signal(wake);
    }
  })();
  try {
    for (;;) {
      if (buffer.length > 0) {
        const item = buffer.shift()!;
        signal(room);
        yield item;
        continue;
      }
      if (ended) {
        if (failure) throw (failure as { error: unknown }).error;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    ended = true;
    signal(room);
  }
}

/** Delivers until drained, killed, or the webhook answered 410. */
export async function runWorker(deps: WorkerDeps): Promise<void> {
  const { held, drain } = deps;
  const sign = createSigner(deps.secret);
  const filter = { projects: [held.projectId], kinds: held.kinds, names: held.names, upstreamOf: null };
  const state = { cursor: held.cursor, carried: deps.carried };
  while (!drain.aborted) {
    let stream: AsyncIterableIterator<Delivery>;
    try {
      stream = await deps.dispatcher.subscribe(filter, state.cursor);
    } catch (error) {
      if (error instanceof PedigreeError && error.code === ErrorCode.CURSOR_EXPIRED) {
        const through = await deps.prunedThrough().catch(() => state.cursor);
        deps.logger.warn({ webhook: held.id, from: state.cursor, to: through }, 'webhook fell behind the event retention; events were pruned before delivery');
        await deps.skipTo(through).catch(() => {});
        state.cursor = Math.max(state.cursor, through);
      } else {
        deps.logger.warn({ err: error, webhook: held.id }, 'webhook cannot read the event log; retrying');
        await sleep(1_000, drain);
      }
      continue;
    }
    const close = () => void stream.return?.();
    drain.addEventListener('abort', close, { once: true });
    // A drain while subscribe was under way fired before the listener existed; the stream would
    // then wait for live events until the dispatcher stops, which comes after this worker's stop.
    if (drain.aborted) close();
    try {
      const prefetch = (delivery: Delivery) => void ('event' in delivery && deps.body(delivery).catch(() => {}));
      for await (const delivery of readAhead(stream, READ_AHEAD, prefetch)) {
        if ('error' in delivery) break; // the stream ended (e.g. fell behind): open it again from the cursor
        const outcome = await deliverOne(deps, sign, state, delivery, close);
        if (outcome === 'stopped' || outcome === 'gone') return;
        state.cursor = delivery.event.seq;
      }
    } finally {
      drain.removeEventListener('abort', close);
      close();
    }
  }
}

async function deliverOne(deps: WorkerDeps, sign: (id: string, at: Date, body: string) => string, state: { carried: CarriedDelivery | null }, delivery: EventDelivery, closeStream: () => void): Promise<Outcome> {
  const { event } = delivery;
  const carried = state.carried?.eventId === event.id ? state.carried : null;
  state.carried = null;
  let attempts = carried?.attempts ?? 0;
  const firstAttemptMs = carried?.firstAttemptMs ?? Date.now();
  let notBefore = carried?.nextAttemptMs ?? 0;

  let body: string | null = null;
  for (let failures = 0; body === null; failures++) {
    if (deps.drain.aborted) return 'stopped';
    try {
      body = await deps.body(delivery);
    } catch (error) {
      if (failures === 0) deps.logger.warn({ err: error, webhook: deps.held.id, event: event.id }, 'cannot read the event for a webhook body; retrying');
      await sleep(Math.min(5_000, 100 * 2 ** failures), deps.drain);
    }
  }

  for (;;) {
    if (notBefore > Date.now()) {
      closeStream();
      await sleep(notBefore - Date.now(), deps.drain);
    }
    while (!deps.drain.aborted && Date.now() >= deps.leaseValidUntil()) await sleep(100, deps.drain);
    if (deps.drain.aborted) return 'stopped';
    attempts += 1;
    const now = new Date();
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1_000)),
      'webhook-signature': sign(event.id, now, body),
    };
    const result = await deps.sender.post(deps.held.url, headers, body, deps.kill);
    if (deps.kill.aborted) return 'stopped';
    const verdict = verdictOf(result);
    const base = {
      webhookId: deps.held.id,
      event,
      attempts,
      lastStatusCode: result.kind === 'response' ? result.status : null,
      lastError: describe(result),
      firstAttemptMs,
      deliveredMs: null,
      nextAttemptMs: null,
    };
    switch (verdict) {
      case 'DELIVERED':
        deps.record({ ...base, state: 'DELIVERED', deliveredMs: Date.now(), done: true });
        return 'next';
      case 'FAILED':
        deps.record({ ...base, state: 'FAILED', done: true });
        return 'next';
      case 'GONE':
        await deps.gone({ ...base, state: 'FAILED', done: true });
        deps.logger.info({ webhook: deps.held.id }, 'webhook receiver answered 410 Gone; webhook turned off');
        return 'gone';
      case 'RETRY': {
        const delay = retryDelay(attempts, deps.retryScheduleMs, result.kind === 'response' ? result.retryAfterMs : null);
        if (Date.now() + delay - firstAttemptMs > deps.retryForMs) {
          deps.record({ ...base, state: 'FAILED', done: true });
          return 'next';
        }
        notBefore = Date.now() + delay;
        deps.record({ ...base, state: 'PENDING', nextAttemptMs: notBefore, done: false });
        break;
      }
      default: {
        const unexpected: never = verdict;
        throw new Error(`unknown verdict ${String(unexpected)}`);
      }
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
