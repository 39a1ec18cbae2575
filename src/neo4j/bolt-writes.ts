/**
 * One socket write per turn of the event loop for each Bolt connection, instead of one per
 * 1,400 bytes.
 *
 * neo4j-driver's chunker hands each full 1,400-byte buffer to its channel as it fills, and the
 * channel calls `socket.write` for each: a statement with 20 KB of parameters (a serving window,
 * a batch of lineage, a flush of webhook deliveries) leaves in 15 system calls and, with the
 * driver's TCP_NODELAY, 15 segments, each of which wakes the server's Bolt thread. Here a
 * connection's first write in a turn corks its socket and the next tick uncorks it, so Node
 * sends the turn's buffers with one `writev`. Bytes and order are unchanged, and nothing waits
 * longer than the current turn. `node bench/bolt-writes.ts` measures the difference.
 *
 * The channel is not public API, so this wraps its `write` in the pinned driver version
 * (package.json) and throws at start-up if that shape changes (a test sends a statement and
 * counts its writes).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

interface NodeChannel {
  /** The socket; null or destroyed once closed. */
  _conn: Socket | null;
  /** Buffers written before the socket connected (the channel sends them on connect); null after. */
  _pending: unknown[] | null;
  write(buffer: unknown): void;
}

let original: NodeChannel['write'] | undefined;

function channelPrototype(): NodeChannel {
  const require = createRequire(import.meta.url);
  const module = require('neo4j-driver-bolt-connection/lib/channel/node/node-channel.js') as { default?: { prototype: NodeChannel } };
  const proto = module.default?.prototype;
  if (typeof proto?.write !== 'function') throw new Error('neo4j-driver-bolt-connection: NodeChannel.prototype.write not found; src/neo4j/bolt-writes.ts needs updating for this driver version');
  return proto;
}

/** Turns the coalescing on (the default of every driver createDriver makes) or, for measuring, off. Process-wide. */
export function coalesceBoltWrites(on = true): void {
  const proto = channelPrototype();
  original ??= proto.write;
  proto.write = on ? coalescedWrite(original) : original;
}

function coalescedWrite(write: NodeChannel['write']): NodeChannel['write'] {
  const corked = new WeakSet<Socket>();
  return function (this: NodeChannel, buffer: unknown): void {
    const socket = this._conn;
    if (this._pending === null && socket && !socket.destroyed && !corked.has(socket)) {
      corked.add(socket);
      socket.cork();
      process.nextTick(() => {
        corked.delete(socket);
        socket.uncork();
      });
    }
    write.call(this, buffer);
  };
}
