/**
 * A monitoring service: follows new dataset and model versions of one project over graphql-ws,
 * storing the cursor of every event it has handled, and resumes from that cursor after any
 * restart or disconnect, so it never misses an event (it may see the one in flight twice;
 * dedupe by event id).
 *
 *   PEDIGREE_WS=ws://localhost:4000/graphql PROJECT=prj_... node examples/monitor.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env['PEDIGREE_WS'] ?? 'ws://localhost:4000/graphql';
const project = process.env['PROJECT'] ?? '';
const cursorFile = process.env['CURSOR_FILE'] ?? '.monitor-cursor';

interface VersionEvent {
  id: string;
  cursor: string;
  kind: string;
  occurredAt: string;
  subject: { id: string };
  previous: { id: string } | null;
}

const loadCursor = (): string | null => (existsSync(cursorFile) ? readFileSync(cursorFile, 'utf8').trim() || null : null);
const saveCursor = (cursor: string): void => writeFileSync(cursorFile, cursor);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: process.env['PEDIGREE_TOKEN'] ? `Bearer ${process.env['PEDIGREE_TOKEN']}` : undefined },
  retryAttempts: Infinity, // reconnect forever; every attempt resubscribes from the stored cursor
  shouldRetry: () => true,
});

const query = `subscription($filter: EventFilter, $after: String) {
  versionEvents(filter: $filter, after: $after) { id cursor kind occurredAt subject { id } previous { id } }
}`;

async function follow(): Promise<void> {
  for (;;) {
    const after = loadCursor();
    try {
      const events = client.iterate<{ versionEvents: VersionEvent }>({
        query,
        variables: { filter: { projects: [project], kinds: ['DATASET_VERSION_CREATED', 'MODEL_VERSION_CREATED'] }, after },
      });
      for await (const result of events) {
        if (result.errors) throw new Error(result.errors.map((e) => `${e.extensions?.['code']}: ${e.message}`).join('; '));
        const event = result.data!.versionEvents;
        console.log(`${event.occurredAt} ${event.kind} ${event.subject.id} (replaces ${event.previous?.id ?? 'nothing'})`);
        saveCursor(event.cursor); // after handling: at-least-once
      }
    } catch (error) {
      // LIMIT_EXCEEDED (we fell behind) or a lost connection: resume from the stored cursor.
      // CURSOR_EXPIRED means we were away longer than the retention: decide how to catch up.
      console.error(`stream ended: ${error instanceof Error ? error.message : String(error)}; resuming`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

await follow();
