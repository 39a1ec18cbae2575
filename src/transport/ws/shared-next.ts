/**
 * One JSON serialization per event and operation, shared by every subscriber of it, and, for
 * live events, frames written straight to the socket's FrameSocket (frame-socket.ts).
 *
 * `subscribeWithEventLoaders` (src/graphql/schema/operations.ts) already gives subscribers that
 * sent the same operation the same ExecutionResult object for an event; graphql-ws would still
 * format and JSON.stringify that result once per subscriber. Here `onNext` formats and
 * serializes each result object once (cached by identity) and leaves the JSON with the socket's
 * FrameSocket, which sends it in place of the stand-in payload graphql-ws is handed.
 */
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { Delivery, LiveSink } from '../../events/subscription.ts';
import type { StoredEvent } from '../../neo4j/queries/events.ts';
import { capResponse } from '../response-size.ts';
import { NEXT_HEAD, type FrameSocket } from './frame-socket.ts';

const serialized = new WeakMap<ExecutionResult, string>();

/** graphql-ws `onNext`: formats the result with `format` once per result object and returns the socket's stand-in for it. */
export function sharedNextPayload(
  socket: FrameSocket,
  id: string,
  result: ExecutionResult,
  format: (result: ExecutionResult) => FormattedExecutionResult,
  maxBytes = Number.POSITIVE_INFINITY,
): FormattedExecutionResult {
  return socket.next(id, serializedOnce(result, format, maxBytes));
}

/** The result's JSON, or the response size limit's error when it is longer than `maxBytes`. */
function serializedOnce(result: ExecutionResult, format: (result: ExecutionResult) => FormattedExecutionResult, maxBytes: number): string {
  let json = serialized.get(result);
  if (json === undefined) serialized.set(result, (json = capResponse(JSON.stringify(format(result)), maxBytes)));
  return json;
}

/** Where a subscription's live frames go: its socket and graphql-ws id, and how results are formatted. */
export interface FrameTarget {
  readonly socket: FrameSocket;
  readonly id: string;
  readonly format: (result: ExecutionResult) => FormattedExecutionResult;
  /** Largest serialized payload; a larger one is replaced by a LIMIT_EXCEEDED error. */
  readonly maxBytes?: number;
}

/** Serialized results of live events, per event and operation key, once their execution resolved. */
const ready = new WeakMap<StoredEvent, Map<string, string>>();

/**
 * The LiveSink of one subscription (src/events/subscription.ts): `prepare` executes the event
 * once per operation key (through `execute`, the shared execution of src/graphql/schema/operations.ts) and keeps
 * its JSON; `deliver` writes `{"id":<id>,"type":"next","payload":<json>}`, the frame graphql-ws
 * would write, with one `write` and none of graphql-ws's per-message promises: about 1.5 µs per
 * subscriber and event when 1,000 subscribers are handed a page (README, "Fan-out").
 * A result that fails to execute is not kept; the event then takes the queue, and graphql-ws
 * reports the failure as it would have.
 */
export function liveFrames(target: FrameTarget, key: string, execute: (delivery: Delivery) => Promise<ExecutionResult>): LiveSink {
  const head = `${NEXT_HEAD}${JSON.stringify(target.id)},"type":"next","payload":`;
  let pending = 0;
  const written = () => {
    pending -= 1;
  };
  return {
    key,
    get pending() {
      return pending;
    },
    async prepare(event, loaders) {
      let json: string;
      try {
        json = serializedOnce(await execute({ event, loaders }), target.format, target.maxBytes ?? Number.POSITIVE_INFINITY);
      } catch {
        return;
      }
      let byKey = ready.get(event);
      if (!byKey) ready.set(event, (byKey = new Map()));
      byKey.set(key, json);
    },
    deliver(event) {
      const json = ready.get(event)?.get(key);
      if (json === undefined) return false;
      pending += 1;
      target.socket.write(`${head}${json}}`, written);
      return true;
    },
  };
}
