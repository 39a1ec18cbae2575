/**
 * One subscriber's bounded queue, consumed by graphql-ws as an async iterator. Replayed events
 * wait for room (the dispatcher pulls them from Neo4j at the consumer's pace); live events
 * never wait: when the queue is full the subscription ends with LIMIT_EXCEEDED naming the
 * cursor of the last event the consumer took, so one slow consumer never slows the others.
 *
 * A live event can also skip the queue: when the transport attached a LiveSink and graphql-ws
 * is idle on this stream (parked in `next()` with nothing queued, so nothing of this stream is
 * ahead of the event), `offer` hands the event to the sink, which writes its frame at once. The
 * frames the sink has not written yet count toward the same limit as the queue.
 */
import { ErrorCode, PedigreeError } from '../domain/errors.ts';
import type { Loaders } from '../loaders/index.ts';
import type { StoredEvent } from '../neo4j/queries/events.ts';
import { encodeCursor } from './cursor.ts';
import type { Matcher } from './filter.ts';

/** What graphql-ws executes the selection against: an event with the loaders of its page, or the error that ends the stream. */
export type Delivery = { readonly event: StoredEvent; readonly loaders: Loaders } | { readonly error: Error };

/**
 * Synchronous delivery of live events, attached by the transport (src/transport/ws/shared-next.ts).
 * Sinks with the same key deliver the same result for an event (same operation, variables and
 * viewer), so preparing an event once per key serves them all.
 */
export interface LiveSink {
  readonly key: string;
  /** Frames handed to the transport and not yet written to the kernel. */
  readonly pending: number;
  /** Computes what `deliver` writes for this event, for every sink with this key. Never rejects. */
  prepare(event: StoredEvent, loaders: Loaders): Promise<void>;
  /** Writes the event's frame now; false when it was not prepared (the event then takes the queue). */
  deliver(event: StoredEvent): boolean;
}

export interface Subscription extends AsyncIterableIterator<Delivery> {
  readonly matcher: Matcher;
  /** Every event with seq <= position was either queued or did not match. */
  readonly position: number;
  readonly live: boolean;
  readonly ended: boolean;
  readonly sink: LiveSink | null;
  /** Set while the watch is being computed; a lineage change meanwhile sets `watchStale`. */
  watchStale: boolean;
  /** Queues a replayed event once there is room; false when the subscription has ended. */
  enqueueReplayed(event: StoredEvent, loaders: Loaders): Promise<boolean>;
  /** Everything up to `seq` has been considered (replay scanned past non-matching events). */
  advance(seq: number): void;
  goLive(): void;
  /** Lets live events bypass the queue while the consumer is idle (see LiveSink). */
  attach(sink: LiveSink): void;
  /**
   * Offers a live event; ignored when already considered or not matching. True when it was
   * queued, that is, graphql-ws will deliver it in microtasks that follow.
   */
  offer(event: StoredEvent, loaders: Loaders): boolean;
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
  let sink: LiveSink | null = null;
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
    get sink() {
      return sink;
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
    attach(liveSink) {
      sink = liveSink;
    },
    offer(event, loaders) {
      if (ended || !live || event.seq <= position) return false;
      position = event.seq;
      if (!options.matcher.matches(event)) return false;
      if (queue.length + (sink?.pending ?? 0) >= options.queueSize) {
        const cursor = encodeCursor(lastTaken);
        subscription.end(
          new PedigreeError(
            ErrorCode.LIMIT_EXCEEDED,
            `the subscriber fell more than ${options.queueSize} events behind and the subscription was ended; resume with after: "${cursor}"`,
            { lastCursor: cursor },
          ),
        );
        return false;
      }
      // A parked consumer has an empty queue and nothing in flight: the frame cannot overtake.
      if (sink && consumer && sink.deliver(event)) {
        lastTaken = event.seq;
        return false;
      }
      push({ event, loaders });
      return true;
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
