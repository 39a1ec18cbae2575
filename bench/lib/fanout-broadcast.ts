/**
 * The limit of the fan-out benchmark: a bare `ws` WebSocketServer, run as a child process like
 * the gateway, that broadcasts each event as one frame serialized once. `POST /trigger?n=<n>`
 * (the bench's stand-in for a committed mutation) builds the message a Pedigree subscriber
 * receives for event n (the same graphql-transport-ws `next` shape, so the same size), turns it
 * into one Buffer and sends that to every connected socket, then answers 204 with the time it
 * took the trigger (its stand-in for a commit time, ms since the epoch) in `x-committed-at`.
 *
 *   PORT=<port> node bench/lib/fanout-broadcast.ts     (prints "listening" on stderr)
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeCursor } from '../../src/events/cursor.ts';

const clients = new Set<WebSocket>();
const server = createServer((request, response) => {
  const committedAt = performance.timeOrigin + performance.now();
  const n = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n'));
  request.resume();
  // The cursor of a seq in the same range as Pedigree's, so frames are the same size.
  const frame = Buffer.from(
    JSON.stringify({
      id: '1',
      type: 'next',
      payload: { data: { versionEvents: { cursor: encodeCursor(1_000 + n), subject: { uri: `s3://bench/${n}` } } } },
    }),
  );
  for (const client of clients) client.send(frame);
  response.writeHead(204, { 'x-committed-at': String(committedAt) }).end();
});
const wsServer = new WebSocketServer({ server, perMessageDeflate: false });
wsServer.on('connection', (socket) => {
  clients.add(socket);
  socket.on('close', () => clients.delete(socket));
});
server.listen(Number(process.env['PORT']), '127.0.0.1', () => console.error('listening'));
process.on('SIGTERM', () => {
  for (const client of clients) client.terminate();
  server.close(() => process.exit(0));
});
