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
