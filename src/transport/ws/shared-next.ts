/**
 * One JSON serialization per event and operation, shared by every subscriber of it, and, for
 * live events, frames written straight to the socket.
 *
 * `subscribeWithEventLoaders` (src/graphql/schema/operations.ts) already gives subscribers that sent the same
 * operation the same ExecutionResult object for an event; graphql-ws would still format and
 * JSON.stringify that result once per subscriber. Here `onNext` formats and serializes each
 * result object once (cached by identity), remembers the JSON under the socket and
 * subscription id, and hands graphql-ws a stand-in payload that serializes as `null`; the
 * socket's `send` (wrapped by `shareNextFrames`) replaces that `null` with the remembered JSON.
 * The frame on the wire is exactly the `next` message graphql-ws would have sent:
 * `{"id":<id>,"type":"next","payload":<payload>}`.
 *
 * Why the pairing is safe: graphql-ws calls `onNext` and then, in the same continuation,
 * stringifies and sends that subscription's message, and it awaits the send before taking the
 * subscription's next result; so per socket and id there is at most one payload waiting, and
 * it is the one the message being sent belongs to. A different id on the same socket (another
 * subscription) has its own slot, and a different operation has its own result object, so its
 * own JSON. A `next` frame whose payload is not the stand-in passes through untouched.
 */
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import type { Delivery, LiveSink } from '../../events/subscription.ts';
import type { StoredEvent } from '../../neo4j/queries/events.ts';
import { capResponse } from '../response-size.ts';

const serialized = new WeakMap<ExecutionResult, string>();
const waiting = new WeakMap<WebSocket, Map<string, string>>();

/** What graphql-ws puts in the message instead of the payload; it is an object, so it passes graphql-ws's message validation. */
const STAND_IN: FormattedExecutionResult = Object.freeze({ toJSON: () => null }) as FormattedExecutionResult;
const STAND_IN_HEAD = '{"id":';
const STAND_IN_TAIL = ',"type":"next","payload":null}';

/** Wraps the socket's `send` so `next` messages carrying the stand-in get their shared JSON. */
export function shareNextFrames(socket: WebSocket): void {
  const slots = new Map<string, string>();
  waiting.set(socket, slots);
  const send = socket.send.bind(socket) as (data: unknown, callback?: (error?: Error) => void) => void;
  socket.send = ((data: unknown, ...rest: [((error?: Error) => void)?]) => {
    // The message is `{"id":<id as JSON>,"type":"next","payload":null}`: only the id is parsed
    // (parsing every frame whole was a twentieth of the gateway's CPU with 1,000 subscribers).
    if (typeof data === 'string' && slots.size > 0 && data.startsWith(STAND_IN_HEAD) && data.endsWith(STAND_IN_TAIL)) {
      const idJson = data.slice(STAND_IN_HEAD.length, data.length - STAND_IN_TAIL.length);
      const id = JSON.parse(idJson) as string;
      const json = slots.get(id);
      if (json !== undefined) {
        slots.delete(id);
        data = `${STAND_IN_HEAD}${idJson},"type":"next","payload":${json}}`;
      }
    }
    send(data, ...rest);
  }) as WebSocket['send'];
}

/**
 * graphql-ws `onNext`: formats the result with `format` once per result object and returns the
 * stand-in; on a socket not wrapped by `shareNextFrames` it returns the formatted result.
 */
export function sharedNextPayload(
  socket: WebSocket,
  id: string,
  result: ExecutionResult,
  format: (result: ExecutionResult) => FormattedExecutionResult,
  maxBytes = Number.POSITIVE_INFINITY,
): FormattedExecutionResult {
  const slots = waiting.get(socket);
  if (!slots) return format(result);
  slots.set(id, serializedOnce(result, format, maxBytes));
  return STAND_IN;
}

/** The result's JSON, or the response size limit's error when it is longer than `maxBytes`. */
function serializedOnce(result: ExecutionResult, format: (result: ExecutionResult) => FormattedExecutionResult, maxBytes: number): string {
  let json = serialized.get(result);
  if (json === undefined) serialized.set(result, (json = capResponse(JSON.stringify(format(result)), maxBytes)));
  return json;
}

/** Where a subscription's live frames go: its socket and graphql-ws id, and how results are formatted. */
export interface FrameTarget {
  readonly socket: WebSocket;
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
 * would write, with one `send` and none of graphql-ws's per-message promises: about 1.5 µs per
 * subscriber and event when 1,000 subscribers are handed a page (README, "Fan-out").
 * A result that fails to execute is not kept; the event then takes the queue, and graphql-ws
 * reports the failure as it would have.
 */
export function liveFrames(target: FrameTarget, key: string, execute: (delivery: Delivery) => Promise<ExecutionResult>): LiveSink {
  const head = `{"id":${JSON.stringify(target.id)},"type":"next","payload":`;
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
      target.socket.send(`${head}${json}}`, written);
      return true;
    },
  };
}
