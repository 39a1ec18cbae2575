/**
 * One subscriber's bounded queue, consumed by graphql-ws as an async iterator. Replayed events
 * wait for room (the dispatcher pulls them from Neo4j at the consumer's pace); live events
 * never wait: when the queue is full the subscription ends with LIMIT_EXCEEDED naming the
 * cursor of the last event the consumer took, so one slow consumer never slows the others.
 */
import { ErrorCode, PedigreeError } from '../errors.ts';
import type { Loaders } from '../loaders/index.ts';
import type { StoredEvent } from '../neo4j/queries/events.ts';
import { encodeCursor } from './cursor.ts';
import type { Matcher } from './filter.ts';

/** What graphql-ws executes the selection against: an event with the loaders of its page, or the error that ends the stream. */
export type Delivery = { readonly event: StoredEvent; readonly loaders: Loaders } | { readonly error: Error };

export interface Subscription extends AsyncIterableIterator<Delivery> {
  readonly matcher: Matcher;
  /** Every event with seq <= position was either queued or did not match. */
  readonly position: number;
  readonly live: boolean;
  readonly ended: boolean;
  /** Set while the watch is being computed; a lineage change meanwhile sets `watchStale`. */
  watchStale: boolean;
  /** Queues a replayed event once there is room; false when the subscription has ended. */
  enqueueReplayed(event: StoredEvent, loaders: Loaders): Promise<boolean>;
  /** Everything up to `seq` has been considered (replay scanned past non-matching events). */
  advance(seq: number): void;
  goLive(): void;
  /** Offers a live event; ignored when already considered or not matching. */
  offer(event: StoredEvent, loaders: Loaders): void;
  /** Ends the stream, after an error delivery when `error` is given. */
  end(error?: Error): void;
}

export function createSubscription(options: { start: number; matcher: Matcher; queueSize: number; onEnd: () => void }): Subscription {
  const queue: Delivery[] = [];
  let position = options.start;
  let lastTaken = options.start;
  let live = false;
  let ended = false;
  let errorPending: Error | null = null;
  let consumer: ((result: IteratorResult<Delivery>) => void) | null = null;
  let roomWaiter: (() => void) | null = null;

  const finish = () => {
    if (ended) return;
    ended = true;
    queue.length = 0;
    roomWaiter?.();
    options.onEnd();
  };

  const pull = (): IteratorResult<Delivery> | null => {
    const next = queue.shift();
    if (next) {
      if ('event' in next) lastTaken = next.event.seq;
      roomWaiter?.();
      return { done: false, value: next };
    }
    if (errorPending) {
      const error = errorPending;
      errorPending = null;
      return { done: false, value: { error } };
    }
    return ended ? { done: true, value: undefined } : null;
  };

  const push = (delivery: Delivery) => {
    if (consumer) {
      const resolve = consumer;
      consumer = null;
      if ('event' in delivery) lastTaken = delivery.event.seq;
      resolve({ done: false, value: delivery });
    } else {
      queue.push(delivery);
    }
  };

  const subscription: Subscription = {
    matcher: options.matcher,
    get position() {
      return position;
    },
    get live() {
      return live;
    },
    get ended() {
      return ended;
    },
    watchStale: false,
    async enqueueReplayed(event, loaders) {
      while (!ended && queue.length >= options.queueSize) {
        await new Promise<void>((resolve) => (roomWaiter = resolve));
        roomWaiter = null;
      }
      if (ended) return false;
      push({ event, loaders });
      position = Math.max(position, event.seq);
      return true;
    },
    advance(seq) {
      position = Math.max(position, seq);
    },
    goLive() {
      live = true;
    },
    offer(event, loaders) {
      if (ended || !live || event.seq <= position) return;
      position = event.seq;
      if (!options.matcher.matches(event)) return;
      if (queue.length >= options.queueSize) {
        const cursor = encodeCursor(lastTaken);
        subscription.end(
          new PedigreeError(
            ErrorCode.LIMIT_EXCEEDED,
            `the subscriber fell more than ${options.queueSize} events behind and the subscription was ended; resume with after: "${cursor}"`,
            { lastCursor: cursor },
          ),
        );
        return;
      }
      push({ event, loaders });
    },
    end(error) {
      if (ended) return;
      finish();
      if (error) errorPending = error;
      if (consumer) {
        const resolve = consumer;
        consumer = null;
        resolve(pull() ?? { done: true, value: undefined });
      }
    },
    next() {
      const ready = pull();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => (consumer = resolve));
    },
    return() {
      subscription.end();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return subscription;
    },
  };
  return subscription;
}
