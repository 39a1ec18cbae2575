/**
 * Coalesced WebSocket writes. graphql-ws awaits each message's send callback before it takes
 * its subscription's next result, so every frame used to be a write system call of its own
 * (a `writev` of the frame's header and payload). On loopback TCP the kernel delivers into the
 * receiving socket inside that call, and with 1,000 subscribers those calls were the largest
 * single cost of the gateway's CPU in the fan-out benchmark (a third of its busy time).
 *
 * Here a socket's first send in a turn of the event loop corks its TCP socket until the turn
 * ends (one `setImmediate` for all sockets), and the send callback is called at once while the
 * socket's buffered bytes are under `highWater`: a subscriber handed a page of events writes
 * them in one system call, and the frames of every subscriber leave in the same turn they were
 * produced in. At or over `highWater` the callback waits for the write, as without this, so a
 * consumer that stops reading still stops graphql-ws from pulling from its subscription, whose
 * queue then fills and ends it with LIMIT_EXCEEDED (src/events/subscription.ts).
 */
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/** Bytes a socket may buffer before its senders wait for the kernel again. */
export const WRITE_HIGH_WATER = 64 * 1024;

const corked = new Set<Socket>();

function uncorkAll(): void {
  const sockets = [...corked];
  corked.clear();
  for (const socket of sockets) socket.uncork();
}

type SendCallback = (error?: Error) => void;
type SendOptions = Parameters<WebSocket['send']>[1];

/** Wraps `ws.send` so that frames sent in one turn of the event loop leave in one write of `tcp`, the socket under `ws`. */
export function coalesceWrites(ws: WebSocket, tcp: Socket, highWater = WRITE_HIGH_WATER): void {
  const send = ws.send.bind(ws) as (data: unknown, options: SendOptions, callback?: SendCallback) => void;
  ws.send = ((data: unknown, optionsOrCallback?: SendOptions | SendCallback, maybeCallback?: SendCallback) => {
    const callback = typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback;
    const options = typeof optionsOrCallback === 'function' || optionsOrCallback === undefined ? {} : optionsOrCallback;
    if (ws.readyState !== WebSocket.OPEN || tcp.destroyed) {
      send(data, options, callback);
      return;
    }
    if (!corked.has(tcp)) {
      if (corked.size === 0) setImmediate(uncorkAll);
      corked.add(tcp);
      tcp.cork();
    }
    if (callback && ws.bufferedAmount < highWater) {
      // A failed write surfaces as the socket's error and close, which end its subscriptions.
      send(data, options);
      queueMicrotask(() => callback());
    } else {
      send(data, options, callback);
    }
  }) as WebSocket['send'];
}
