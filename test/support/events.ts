/**
 * Event-stream helpers for tests: a graphql-ws subscriber that records what it receives, the
 * polling log read to the end, and a few recording mutations that each append events.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse, TestGateway } from './gateway.ts';

export interface ReceivedEvent {
  readonly id: string;
  readonly cursor: string;
  readonly kind: string;
  readonly projectId: string;
  readonly subjectId: string;
  readonly name: string | null;
}

export const EVENT_FIELDS = 'id cursor kind alias occurredAt project { id } subject { id } previous { id } actor { id }';

const SUBSCRIPTION = `subscription($filter: EventFilter, $after: String) {
  versionEvents(filter: $filter, after: $after) { ${EVENT_FIELDS} }
}`;

export interface Subscriber {
  readonly events: ReceivedEvent[];
  readonly errors: NonNullable<GraphQLResponse['errors']>;
  /** Resolves when the server completes the stream (or the socket fails). */
  readonly done: Promise<void>;
  /** Resolves once `count` events have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Unsubscribes and closes its socket. */
  close(): Promise<void>;
}

export function wsClient(wsUrl: string): Client {
  return createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
}

/**
 * Subscribes on its own socket and records every event. Tests pass `after` (e.g. headCursor())
 * so that what the stream covers does not depend on when the server set it up.
 */
export async function subscribe(wsUrl: string, variables: { filter?: Record<string, unknown>; after?: string | null } = {}): Promise<Subscriber> {
  const client = wsClient(wsUrl);
  const events: ReceivedEvent[] = [];
  const errors: NonNullable<GraphQLResponse['errors']> = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const unsubscribe = client.subscribe(
    { query: SUBSCRIPTION, variables },
    {
      next: (result) => {
        const response = result as GraphQLResponse<{ versionEvents: any }>;
        if (response.errors) errors.push(...response.errors);
        const e = response.data?.versionEvents;
        if (e) events.push({ id: e.id, cursor: e.cursor, kind: e.kind, projectId: e.project.id, subjectId: e.subject.id, name: null });
        for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
      },
      error: (error) => {
        if (Array.isArray(error)) errors.push(...(error as never[]));
        else errors.push({ message: String((error as { reason?: string }).reason ?? error) });
        finish();
      },
      complete: () => finish(),
    },
  );
  return {
    events,
    errors,
    done,
    waitFor(count, timeoutMs = 20_000) {
      if (events.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited for ${count} events, got ${events.length}; errors ${JSON.stringify(errors)}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** The whole log after `after` (or from its start) through Query.events, page by page. */
export async function pollAll(server: Pick<TestGateway, 'ok'>, filter?: Record<string, unknown>, after: string | null = null, first = 500): Promise<ReceivedEvent[]> {
  const all: ReceivedEvent[] = [];
  let cursor = after;
  for (;;) {
    const { events } = await server.ok<any>(
      `query($filter: EventFilter, $after: String, $first: Int!) { events(filter: $filter, after: $after, first: $first) { nodes { ${EVENT_FIELDS} } pageInfo { hasNextPage endCursor } } }`,
      { filter, after: cursor, first },
    );
    all.push(...events.nodes.map((e: any) => ({ id: e.id, cursor: e.cursor, kind: e.kind, projectId: e.project.id, subjectId: e.subject.id, name: null })));
    cursor = events.pageInfo.endCursor;
    if (!events.pageInfo.hasNextPage) return all;
  }
}

/** The cursor of the log's head right now. */
export async function headCursor(server: Pick<TestGateway, 'ok'>): Promise<string> {
  const { events } = await server.ok<any>(`query($filter: EventFilter) { events(filter: $filter, first: 1000) { pageInfo { endCursor hasNextPage } } }`, {
    filter: { kinds: ['DEPLOYMENT_STATUS_CHANGED'], names: ['no-such-name-for-head'] },
  });
  return events.pageInfo.endCursor;
}

export const sha = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

export async function createProject(server: Pick<TestGateway, 'ok'>, name: string): Promise<string> {
  return (await server.ok<any>('mutation($name: String!) { createProject(input: { name: $name }) { id } }', { name })).createProject.id;
}

export async function registerDataset(server: Pick<TestGateway, 'ok'>, project: string, dataset: string, digest: number, extra: Record<string, unknown> = {}): Promise<string> {
  const data = await server.ok<any>('mutation($input: RegisterDatasetVersionInput!) { registerDatasetVersion(input: $input) { id } }', {
    input: { project, dataset, uri: `s3://test/${dataset}/${digest}`, digest: sha(digest), ...extra },
  });
  return data.registerDatasetVersion.id;
}
