/**
 * The supergraph around Pedigree for end-to-end tests, built with the example's own pieces
 * (examples/supergraph): composition from each subgraph's `_service { sdl }` with
 * @apollo/composition, the Apollo Gateway for queries, and the Hive Gateway (open-source router)
 * with the example router configuration, which forwards subscriptions to Pedigree over graphql-ws.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { createClient as createSseClient } from 'graphql-sse';
import { gatewayConfig } from '../../examples/supergraph/gateway.config.ts';
import { ADMIN } from './gateway.ts';
import { freePort } from './ports.ts';

export { composeSupergraph, type Composition, type Subgraph } from '../../examples/supergraph/compose.ts';

export interface Router {
  readonly url: string;
  /** POST a GraphQL operation with `headers` (by default the test admin's Authorization). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: any[] }>;
  stop(): Promise<void>;
}

export interface SseSubscriber<T> {
  /** Every `data` received, in order. */
  readonly results: { data?: T; errors?: any[] }[];
  /** Resolves once `count` results have arrived; rejects after `timeoutMs` or if the stream fails. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Unsubscribes (closes the event stream) and disposes the client. */
  close(): void;
}

/**
 * Subscribes to `url` over GraphQL over SSE (graphql-sse, distinct connections mode: one
 * POST with `accept: text/event-stream` per operation), as a browser or service would.
 */
export function subscribeOverSse<T = Record<string, any>>(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): SseSubscriber<T> {
  const client = createSseClient({ url, headers, retryAttempts: 0 });
  const results: { data?: T; errors?: any[] }[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown = null;
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result as never);
        for (const waiter of waiters) waiter();
      },
      error: (error) => {
        failure = error;
        for (const waiter of waiters) waiter();
      },
      complete: () => {},
    },
  );
  return {
    results,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (results.length >= count) done(resolve);
          else if (failure !== null) done(() => reject(failure instanceof Error ? failure : new Error(JSON.stringify(failure))));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`waited for ${count} results, got ${JSON.stringify(results)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      unsubscribe();
      client.dispose();
    },
  };
}

function postTo(url: string): Router['gql'] {
  return async (query, variables = {}, headers = { authorization: ADMIN }) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return response.json() as never;
  };
}

/** Apollo Gateway forwarding the client's Authorization header to every subgraph. */
export async function startApolloGateway(supergraphSdl: string): Promise<Router> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url = '' }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer<{ authorization?: string }>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: await freePort(), host: '127.0.0.1' },
    context: async ({ req }) => (req.headers.authorization ? { authorization: req.headers.authorization } : {}),
  });
  return { url, gql: postTo(url), stop: () => server.stop() };
}

/**
 * The Hive Gateway runtime with the example's router configuration (examples/supergraph/
 * gateway.config.ts), served by node:http. Subscriptions to `pedigree` go over graphql-ws on
 * its /graphql path; clients read them over SSE (accept: text/event-stream).
 */
export async function startHiveGateway(supergraphSdl: string): Promise<Router> {
  const runtime = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    ...(gatewayConfig.transportEntries ? { transportEntries: gatewayConfig.transportEntries } : {}),
    ...(gatewayConfig.propagateHeaders ? { propagateHeaders: gatewayConfig.propagateHeaders } : {}),
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    gql: postTo(url),
    async stop() {
      await runtime.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
