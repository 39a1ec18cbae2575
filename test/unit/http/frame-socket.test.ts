/**
 * The coalesced writes of src/transport/ws/frame-socket.ts over real loopback sockets: frames
 * sent one after another, each awaiting its send as graphql-ws does, leave in one write of the
 * TCP socket while its buffer is under the high-water mark, and in one write each at or over it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameSocket } from '../../../src/transport/ws/frame-socket.ts';

const FRAMES = 20;
let server: Server | undefined;
let client: WebSocket | undefined;

afterEach(async () => {
  client?.terminate();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = client = undefined;
});

/** A WebSocket server on loopback whose one connection is written through a FrameSocket with `highWater`, and a client that collects text frames. */
async function connect(highWater: number): Promise<{ ws: WebSocket; frames: FrameSocket; tcp: Socket; writes: () => number; received: string[] }> {
  server = createServer();
  const wss = new WebSocketServer({ server });
  const connected = new Promise<{ ws: WebSocket; frames: FrameSocket; tcp: Socket }>((resolve) =>
    wss.on('connection', (ws, request) => resolve({ ws, frames: new FrameSocket(ws, request.socket, highWater), tcp: request.socket })),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const received: string[] = [];
  client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('message', (data) => received.push(String(data)));
  const { ws, frames, tcp } = await connected;
  // Writable's own hooks: each call is one write to the kernel (`_writev` takes everything corked).
  let writes = 0;
  for (const hook of ['_write', '_writev'] as const) {
    const original = tcp[hook] as (...args: unknown[]) => void;
    tcp[hook] = ((...args: unknown[]) => {
      writes += 1;
      original.apply(tcp, args);
    }) as never;
  }
  return { ws, frames, tcp, writes: () => writes, received };
}

/** Sends the frames in order, each after the previous one's send resolved, as graphql-ws does. */
async function sendInSequence(socket: FrameSocket): Promise<string[]> {
  const frames = Array.from({ length: FRAMES }, (_, i) => JSON.stringify({ id: '1', type: 'next', payload: { data: { i } } }));
  for (const frame of frames) await socket.send(frame);
  return frames;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('FrameSocket writes', () => {
  it('sends frames produced in one turn of the event loop in one write, in order', async () => {
    const { frames: socket, writes, received } = await connect(64 * 1024);
    const frames = await sendInSequence(socket);
    await until(() => received.length === FRAMES);
    expect(received).toEqual(frames);
    expect(writes()).toBe(1);
  });

  it('waits for the kernel at or over the high-water mark: one write per frame, as without it', async () => {
    const { frames: socket, writes, received } = await connect(0);
    const frames = await sendInSequence(socket);
    await until(() => received.length === FRAMES);
    expect(received).toEqual(frames);
    expect(writes()).toBe(FRAMES);
  });

  it('passes sends on a closed socket through, with their error', async () => {
    const { ws, frames } = await connect(64 * 1024);
    ws.terminate();
    await until(() => ws.readyState === WebSocket.CLOSED);
    const error = await new Promise<Error | undefined>((resolve) => frames.write('late', resolve));
    expect(error?.message).toMatch(/not open/i);
  });
});

describe('FrameSocket shared next payloads', () => {
  it('sends a next message carrying the stand-in with the payload kept for its id, and other messages as they are', async () => {
    const { frames: socket, received } = await connect(64 * 1024);
    const standIn = socket.next('a"1', '{"data":{"x":1}}');
    await socket.send(JSON.stringify({ id: 'b', type: 'next', payload: standIn }));
    await socket.send(JSON.stringify({ id: 'a"1', type: 'next', payload: standIn }));
    await socket.send(JSON.stringify({ id: 'a"1', type: 'next', payload: standIn }));
    await until(() => received.length === 3);
    expect(received).toEqual([
      '{"id":"b","type":"next","payload":null}',
      '{"id":"a\\"1","type":"next","payload":{"data":{"x":1}}}',
      '{"id":"a\\"1","type":"next","payload":null}',
    ]);
  });
});
