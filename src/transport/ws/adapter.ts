/**
 * graphql-ws on a `ws` server, through graphql-ws's own extension point (`makeServer` and
 * `server.opened`), as its `graphql-ws/use/ws` adapter does: keepalive pings, the subprotocol,
 * messages in, internal errors closing with 4500, going away on dispose. What differs is the socket
 * graphql-ws is given: its `send` is the FrameSocket's (frame-socket.ts), so every frame of a
 * connection goes through one object this server owns and `ws.send` is never wrapped.
 */
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ConnectionInitMessage, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { FrameSocket } from './frame-socket.ts';

/** What graphql-ws's context carries for each connection (`ctx.extra`). */
export interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /** The writer of every frame of the socket. */
  readonly frames: FrameSocket;
}

/**
 * Serves graphql-ws with `options` on every connection of `wsServer`, pinging each socket every
 * `keepAliveMs` (0: never). In `production`, internal errors close without their message.
 */
export function serveGraphqlWs<P extends ConnectionInitMessage['payload'], E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, Extra & Partial<E>>,
  wsServer: WebSocketServer,
  keepAliveMs: number,
  production: boolean,
): { dispose(): Promise<void> } {
  /** Closes with 4500 and, outside production, the error's message when it fits in a close reason. */
  const closeInternal = (socket: WebSocket, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    socket.close(CloseCode.InternalServerError, production || message.length >= 124 ? 'Internal server error' : message);
  };
  const internalError = (socket: WebSocket, what: string, error: unknown) => {
    console.error(`Internal error ${what}. Please check your implementation.`, error);
    closeInternal(socket, error);
  };
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.once('error', (error) => {
    console.error('Internal error emitted on the WebSocket server. Please check your implementation.', error);
    let firstError: unknown = null;
    for (const client of wsServer.clients) {
      try {
        closeInternal(client, error);
      } catch (closeError) {
        firstError ??= closeError;
      }
    }
    if (firstError) throw firstError;
  });
  wsServer.on('connection', (socket, request) => {
    socket.once('error', (error) => internalError(socket, 'emitted on a WebSocket socket', error));
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval =
      keepAliveMs > 0 && Number.isFinite(keepAliveMs)
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, keepAliveMs)
        : null;
    const frames = new FrameSocket(socket, request.socket);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (message) => frames.send(message),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (onMessage) =>
          socket.on('message', async (data) => {
            try {
              await onMessage(String(data));
            } catch (error) {
              internalError(socket, 'occurred during message handling', error);
            }
          }),
      },
      // E's fields are the hooks' to fill in (all optional).
      { socket, request, frames } as Extra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
