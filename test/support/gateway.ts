/**
 * Starts the gateway in-process on a free port against the suite's Neo4j and talks to it the
 * way clients do: HTTP POST /graphql and graphql-ws over a real WebSocket.
 *
 * A test file that needs one gateway for all its tests calls `useGateway()` at module level; a
 * test that needs a gateway of its own writes `await using g = await startTestGateway(...)`.
 */
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, inject } from 'vitest';
import WebSocket from 'ws';
import { loadConfig, type ConfigOverrides } from '../../src/config.ts';
import type { QueryObserver } from '../../src/neo4j/executor.ts';
import { startGateway, type Gateway } from '../../src/server.ts';

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestGateway extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly url: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** Data of a request that must succeed; throws with the errors otherwise. */
  ok<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Cypher statements run by the last completed request. */
  lastQueryCount(): number;
  /** The statements of the last completed request: unit of work, and whether each was its own (auto-commit) transaction. */
  lastQueries(): ReadonlyArray<{ unit: string; autoCommit: boolean }>;
  /**
   * Round trips of the last request's statements: statements sent before any answer came in
   * (since the previous ones were sent) travel together, so this counts the distinct numbers of
   * answers seen when each statement was sent. BEGIN and COMMIT are not statements.
   */
  lastRoundTrips(): number;
  /** The Cypher of the last request's statements, in the order sent. */
  lastStatements(): readonly string[];
  ws(connectionParams?: Record<string, unknown>): Client;
  /** Closes the graphql-ws clients handed out, then stops the gateway; later calls wait for the first. */
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  readonly config?: ConfigOverrides;
  readonly env?: Record<string, string>;
  readonly neo4jUri?: string;
  readonly waitReady?: boolean;
}

/** The server-wide admin credential every test gateway accepts; requests send it unless told otherwise. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ADMIN = `Bearer ${ADMIN_TOKEN}`;

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const config = loadConfig(
    { NEO4J_URI: inject('neo4jUri'), PEDIGREE_ADMIN_TOKEN: ADMIN_TOKEN, PEDIGREE_RATE_LIMIT_PER_SECOND: '0', ...options.env },
    { port: 0, host: '127.0.0.1', logLevel: (process.env['TEST_LOG_LEVEL'] ?? 'silent') as 'silent', ...options.config },
  );
  const queries = new Map<string, Array<{ unit: string; query: string; autoCommit: boolean; answersBefore: number }>>();
  let lastRequestId = '';
  const queryObserver = (requestId: string): QueryObserver => {
    lastRequestId = requestId;
    const seen: Array<{ unit: string; query: string; autoCommit: boolean; answersBefore: number }> = [];
    queries.set(requestId, seen);
    let answers = 0;
    return { onQuery: ({ unit, query, autoCommit }) => seen.push({ unit, query, autoCommit, answersBefore: answers }), onAnswer: () => (answers += 1) };
  };
  const gateway = await startGateway({ config, neo4jUri: options.neo4jUri ?? inject('neo4jUri'), queryObserver });
  if (options.waitReady !== false) {
    // A gateway that never got ready is stopped here: the caller has nothing to stop.
    await gateway.ready.catch(async (error: unknown) => {
      await gateway.stop();
      throw error;
    });
  }
  const clients: Client[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await gateway.stop();
    })());

  async function gql<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const response = await fetch(gateway.url, {
      method: 'POST',
      // `authorization: ''` sends none.
      headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', authorization: ADMIN, ...headers }).filter(([, v]) => v !== '')),
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  }

  return {
    gateway,
    url: gateway.url,
    gql,
    async ok<T>(query: string, variables?: Record<string, unknown>) {
      const result = await gql<T>(query, variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data as T;
    },
    lastQueryCount: () => queries.get(lastRequestId)?.length ?? 0,
    lastQueries: () => (queries.get(lastRequestId) ?? []).map(({ unit, autoCommit }) => ({ unit, autoCommit })),
    lastStatements: () => (queries.get(lastRequestId) ?? []).map((q) => q.query),
    lastRoundTrips: () => new Set((queries.get(lastRequestId) ?? []).map((q) => q.answersBefore)).size,
    ws(connectionParams = { authorization: ADMIN }) {
      const client = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * The file's gateway: started in a `beforeAll` and stopped in an `afterAll`, both registered
 * where this is called, so hooks registered after it see a running gateway and their `afterAll`
 * runs before it stops. The object returned forwards to that gateway and may be used only from
 * tests and hooks; before the start (or after the stop) it throws. `options` may be a function,
 * for options known only once earlier `beforeAll` hooks have run.
 */
export function useGateway(options: TestGatewayOptions | (() => TestGatewayOptions) = {}): TestGateway {
  let current: TestGateway | undefined;
  beforeAll(async () => {
    current = await startTestGateway(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    const started = current;
    current = undefined;
    await started?.stop();
  });
  const running = (): TestGateway => {
    if (!current) throw new Error('useGateway: the gateway runs only between its beforeAll and afterAll hooks');
    return current;
  };
  return {
    get gateway() {
      return running().gateway;
    },
    get url() {
      return running().url;
    },
    gql: <T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => running().gql<T>(query, variables, headers),
    ok: <T>(query: string, variables?: Record<string, unknown>) => running().ok<T>(query, variables),
    lastQueryCount: () => running().lastQueryCount(),
    lastQueries: () => running().lastQueries(),
    lastRoundTrips: () => running().lastRoundTrips(),
    lastStatements: () => running().lastStatements(),
    ws: (connectionParams) => running().ws(connectionParams),
    stop: () => running().stop(),
    [Symbol.asyncDispose]: () => running().stop(),
  };
}

/** Runs one operation over graphql-ws and collects every result until it completes. */
export function wsCollect(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse[]> {
  return new Promise((resolve, reject) => {
    const results: GraphQLResponse[] = [];
    client.subscribe(
      { query, variables },
      {
        next: (value) => results.push(value as GraphQLResponse),
        error: (error) => (Array.isArray(error) ? resolve([{ errors: error }]) : reject(error)),
        complete: () => resolve(results),
      },
    );
  });
}
