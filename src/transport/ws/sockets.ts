import { CloseCode } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Viewer } from '../../auth/viewer.ts';

/**
 * Open WebSockets by credential: each re-checks its credential periodically (expiry, a
 * revocation made through another gateway) and closes with 4403 when it no longer holds;
 * a revocation made here closes the token's sockets at once.
 */
export class SocketRegistry {
  readonly #byToken = new Map<string, Set<WebSocket>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  add(socket: WebSocket, viewer: Viewer, stillValid: (viewer: Viewer) => Promise<boolean>, recheckMs: number): void {
    const tokenId = viewer.credential.kind === 'api-token' ? viewer.credential.tokenId : null;
    if (tokenId) {
      if (!this.#byToken.has(tokenId)) this.#byToken.set(tokenId, new Set());
      this.#byToken.get(tokenId)!.add(socket);
    }
    const expiresAt = viewer.credential.kind === 'admin-token' ? null : viewer.credential.expiresAt;
    const timer = setInterval(() => {
      const expired = expiresAt !== null && expiresAt.getTime() <= Date.now();
      (expired ? Promise.resolve(false) : stillValid(viewer)).then(
        (valid) => {
          if (!valid) socket.close(CloseCode.Forbidden, 'Forbidden');
        },
        () => {}, // Neo4j unreachable: keep the socket, check again next time
      );
    }, recheckMs);
    timer.unref();
    this.#timers.add(timer);
    socket.once('close', () => {
      clearInterval(timer);
      this.#timers.delete(timer);
      if (tokenId) this.#byToken.get(tokenId)?.delete(socket);
    });
  }

  close(tokenId: string): void {
    for (const socket of this.#byToken.get(tokenId) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden');
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }
}
