/**
 * The one way frames reach a WebSocket: graphql-ws's messages (`send`, the adapter's send in
 * adapter.ts) and the precomputed `next` frames of live events (`write`, shared-next.ts). Nothing
 * else writes to the `ws` socket, and its `send` is not wrapped.
 *
 * Coalesced writes. graphql-ws awaits each message's send before it takes its subscription's
 * next result, so every frame used to be a write system call of its own (a `writev` of the
 * frame's header and payload). On loopback TCP the kernel delivers into the receiving socket
 * inside that call, and with 1,000 subscribers those calls were the largest single cost of the
 * gateway's CPU in the fan-out benchmark (a third of its busy time). Here a socket's first write
 * in a turn of the event loop corks its TCP socket until the turn ends (one `setImmediate` for
 * all sockets), and a write is done at once, without waiting, while the socket's buffered bytes
 * are under `highWater`: a subscriber handed a page of events writes them in one system call,
 * and the frames of every subscriber leave in the same turn they were produced in. At or over
 * `highWater` the writer waits for the write, so a consumer that stops reading still stops
 * graphql-ws from pulling from its subscription, whose queue then fills and ends it with
 * LIMIT_EXCEEDED (src/events/subscription.ts).
 *
 * Shared `next` payloads. graphql-ws's `onNext` (server.ts, through `sharedNextPayload`) hands
 * graphql-ws a stand-in payload that serializes as `null` and leaves the payload's JSON here,
 * under the subscription id (`next`); `send` puts it back in place of the `null`. The frame on
 * the wire is exactly the `next` message graphql-ws would have sent:
 * `{"id":<id>,"type":"next","payload":<payload>}`. The pairing is safe because graphql-ws calls
 * `onNext` and then, in the same continuation, stringifies and sends that subscription's
 * message, and it awaits the send before taking the subscription's next result: per id there
 * is at most one payload waiting, and it is the one the message being sent belongs to. A `next`
 * message whose payload is not the stand-in passes through untouched.
 */
import type { Socket } from 'node:net';
import type { FormattedExecutionResult } from 'graphql';
import { WebSocket } from 'ws';

/** Bytes a socket may buffer before its writers wait for the kernel again. */
export const WRITE_HIGH_WATER = 64 * 1024;

const corked = new Set<Socket>();

function uncorkAll(): void {
  const sockets = [...corked];
  corked.clear();
  for (const socket of sockets) socket.uncork();
}

/** What graphql-ws puts in the message instead of the payload; it is an object, so it passes graphql-ws's message validation. */
const STAND_IN: FormattedExecutionResult = Object.freeze({ toJSON: () => null }) as FormattedExecutionResult;
/** The start of every `next` frame, before the id's JSON. */
export const NEXT_HEAD = '{"id":';
const STAND_IN_TAIL = ',"type":"next","payload":null}';
/** What `send` returns for a message written without waiting: one promise for all. */
const WRITTEN: Promise<void> = Promise.resolve();

export class FrameSocket {
  readonly #ws: WebSocket;
  readonly #tcp: Socket;
  readonly #highWater: number;
  /** JSON payloads of `next` messages graphql-ws is about to send with the stand-in, by subscription id. */
  readonly #payloads = new Map<string, string>();

  /** `tcp` is the socket under `ws`. */
  constructor(ws: WebSocket, tcp: Socket, highWater = WRITE_HIGH_WATER) {
    this.#ws = ws;
    this.#tcp = tcp;
    this.#highWater = highWater;
  }

  /**
   * graphql-ws's send: the message, with its shared payload if it is a `next` carrying the
   * stand-in. Resolves at once unless the socket is over its high-water mark; a message for a
   * socket that is no longer open is dropped, as graphql-ws's own ws adapter does.
   */
  send(message: string): Promise<void> {
    if (this.#ws.readyState !== WebSocket.OPEN) return WRITTEN;
    const frame = this.#payloads.size > 0 ? this.#withPayload(message) : message;
    if (this.#writeNow(frame)) return WRITTEN;
    return new Promise((resolve, reject) => this.#ws.send(frame, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Writes a frame that is already complete (a live `next`), coalesced like `send`; `written`
   * is called once the frame no longer holds its writer back, with the error if the socket is
   * not open. No promise: this is the live fan-out's path, one call per subscriber and event.
   */
  write(frame: string, written: (error?: Error) => void): void {
    if (this.#writeNow(frame)) queueMicrotask(written);
    else this.#ws.send(frame, written);
  }

  /** graphql-ws `onNext`: keeps the payload's JSON for the subscription's next message and returns the stand-in to send instead. */
  next(id: string, json: string): FormattedExecutionResult {
    this.#payloads.set(id, json);
    return STAND_IN;
  }

  /** Corks the TCP socket for this turn and writes, unless the socket is closed or over its high-water mark (then false: the caller writes and waits). */
  #writeNow(frame: string): boolean {
    const tcp = this.#tcp;
    if (this.#ws.readyState !== WebSocket.OPEN || tcp.destroyed) return false;
    if (!corked.has(tcp)) {
      if (corked.size === 0) setImmediate(uncorkAll);
      corked.add(tcp);
      tcp.cork();
    }
    if (this.#ws.bufferedAmount >= this.#highWater) return false;
    // A failed write surfaces as the socket's error and close, which end its subscriptions.
    this.#ws.send(frame);
    return true;
  }

  /** The message `{"id":<id as JSON>,"type":"next","payload":null}` with its kept payload; any other message as it is. */
  #withPayload(message: string): string {
    // Only the id is parsed (parsing every frame whole was a twentieth of the gateway's CPU with 1,000 subscribers).
    if (!message.startsWith(NEXT_HEAD) || !message.endsWith(STAND_IN_TAIL)) return message;
    const idJson = message.slice(NEXT_HEAD.length, message.length - STAND_IN_TAIL.length);
    const id = JSON.parse(idJson) as string;
    const json = this.#payloads.get(id);
    if (json === undefined) return message;
    this.#payloads.delete(id);
    return `${NEXT_HEAD}${idJson},"type":"next","payload":${json}}`;
  }
}
