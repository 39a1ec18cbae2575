/**
 * The `next` frames on the wire when one event reaches many subscriptions: each result is
 * serialized once per operation and shared (src/transport/ws/shared-next.ts), so this reads raw
 * graphql-transport-ws frames and checks that every subscription gets exactly its own id, its
 * own selection and its own filter's events, in frames graphql-ws itself would have written.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN, useGateway } from '../support/gateway.ts';
import { createProject, headCursor, registerDataset } from '../support/events.ts';
import { unique } from '../support/graph.ts';

const server = useGateway();

const BY_KIND = 'subscription($f: EventFilter, $a: String) { versionEvents(filter: $f, after: $a) { cursor kind project { id } } }';
const BY_URI = 'subscription($f: EventFilter, $a: String) { versionEvents(filter: $f, after: $a) { cursor subject { ... on DatasetVersion { uri } } project { id } } }';

interface Frame {
  readonly raw: string;
  readonly id: string;
  readonly type: string;
  readonly payload: { data?: { versionEvents: Record<string, any> }; errors?: unknown };
}

/** A raw graphql-transport-ws connection: init, subscriptions by id, every frame recorded. */
async function rawConnection(subscriptions: Record<string, { query: string; variables: Record<string, unknown> }>): Promise<{ frames: Frame[]; close(): void }> {
  const socket = new WebSocket(server.gateway.wsUrl, ['graphql-transport-ws']);
  const frames: Frame[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: ADMIN } })));
    socket.on('message', (data) => {
      const raw = String(data);
      const message = JSON.parse(raw) as Omit<Frame, 'raw'>;
      if (message.type === 'connection_ack') {
        for (const [id, payload] of Object.entries(subscriptions)) socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
        resolve();
      } else {
        frames.push({ raw, ...message });
      }
    });
  });
  return { frames, close: () => socket.close() };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('shared next frames', () => {
  it('give each subscription its own id, selection and filter, byte-for-byte in graphql-ws framing', async () => {
    const p1 = await createProject(server, unique('frames-a'));
    const p2 = await createProject(server, unique('frames-b'));
    const after = await headCursor(server);
    const sub = (query: string, project: string) => ({ query, variables: { f: { projects: [project] }, a: after } });
    // Same id on different sockets, same operation under different ids, different operations on one socket.
    const a = await rawConnection({ '1': sub(BY_KIND, p1), '2': sub(BY_URI, p1), '3': sub(BY_URI, p2), '4': sub(BY_KIND, p1) });
    const b = await rawConnection({ '1': sub(BY_URI, p2), '2': sub(BY_KIND, p1) });
    // An id that JSON has to escape: the shared frame carries it exactly as graphql-ws wrote it.
    const odd = 'q"\\é\n1';
    const c = await rawConnection({ x: sub(BY_KIND, p1), [odd]: sub(BY_URI, p1) });
    try {
      const uris: Record<string, string[]> = { [p1]: [], [p2]: [] };
      const register = async (project: string, dataset: string, digest: number) => {
        await registerDataset(server, project, dataset, digest);
        uris[project]!.push(`s3://test/${dataset}/${digest}`);
      };
      // Once the warm-up events arrived everywhere, every subscription is live: the next events
      // reach all of them in one dispatch, so several payloads wait on one socket at once.
      await register(p1, 'w', 100);
      await register(p2, 'w', 101);
      await until(() => a.frames.length === 4 && b.frames.length === 2 && c.frames.length === 2);
      for (const [project, dataset, digest] of [[p1, 'a', 1], [p2, 'b', 2], [p1, 'a', 3], [p2, 'b', 4], [p1, 'c', 5]] as const) {
        await register(project, dataset, digest);
      }
      await until(() => a.frames.length === 15 && b.frames.length === 7 && c.frames.length === 8); // p1 has 4 events, p2 has 3

      const expected: [Frame[], string, string, string][] = [
        [a.frames, '1', BY_KIND, p1],
        [a.frames, '2', BY_URI, p1],
        [a.frames, '3', BY_URI, p2],
        [a.frames, '4', BY_KIND, p1],
        [b.frames, '1', BY_URI, p2],
        [b.frames, '2', BY_KIND, p1],
        [c.frames, 'x', BY_KIND, p1],
        [c.frames, odd, BY_URI, p1],
      ];
      const cursorsByKindSub: string[][] = [];
      for (const [frames, id, query, project] of expected) {
        const mine = frames.filter((f) => f.id === id);
        for (const frame of mine) {
          expect(frame.type).toBe('next');
          expect(frame.raw).toBe(JSON.stringify({ id, type: 'next', payload: frame.payload }));
          expect(frame.payload.errors).toBeUndefined();
          expect(frame.payload.data!.versionEvents['project']).toEqual({ id: project });
        }
        const events = mine.map((f) => f.payload.data!.versionEvents);
        if (query === BY_KIND) {
          expect(events.map((e) => Object.keys(e))).toEqual(events.map(() => ['cursor', 'kind', 'project']));
          expect(events.map((e) => e['kind'])).toEqual(uris[project]!.map(() => 'DATASET_VERSION_CREATED'));
          cursorsByKindSub.push(events.map((e) => e['cursor'] as string));
        } else {
          expect(events.map((e) => Object.keys(e))).toEqual(events.map(() => ['cursor', 'subject', 'project']));
          expect(events.map((e) => e['subject'].uri)).toEqual(uris[project]);
        }
      }
      // The three subscriptions with the same operation saw the same events, each under its own id.
      expect(cursorsByKindSub[1]).toEqual(cursorsByKindSub[0]);
      expect(cursorsByKindSub[2]).toEqual(cursorsByKindSub[0]);
      expect(cursorsByKindSub[3]).toEqual(cursorsByKindSub[0]);
      expect(new Set(cursorsByKindSub[0]).size).toBe(4);
    } finally {
      for (const connection of [a, b, c]) connection.close();
    }
  });
});
