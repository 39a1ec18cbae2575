/**
 * The supergraph around Pedigree for end-to-end tests: composition with @apollo/composition from
 * each subgraph's `_service { sdl }` (what rover does), the Apollo Gateway for queries, and the
 * Hive Gateway (open-source router) that also forwards subscriptions to Pedigree over graphql-ws.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { parse } from 'graphql';
import { freePort } from './ports.ts';

export interface SubgraphEndpoint {
  readonly name: string;
  readonly url: string;
}

export interface Composition {
  readonly errors: readonly string[];
  readonly supergraphSdl: string;
}

/** Fetches each subgraph's SDL over HTTP and composes them. */
export async function composeSupergraph(subgraphs: readonly SubgraphEndpoint[]): Promise<Composition> {
  const services = await Promise.all(
    subgraphs.map(async ({ name, url }) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      });
      const { data } = (await response.json()) as { data: { _service: { sdl: string } } };
      return { name, url, typeDefs: parse(data._service.sdl) };
    }),
  );
  const result = composeServices(services);
  return { errors: (result.errors ?? []).map((e) => e.message), supergraphSdl: result.supergraphSdl ?? '' };
}

export interface Router {
  readonly url: string;
  /** POST a GraphQL operation; forwards `headers` (e.g. authorization). */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ data?: T; errors?: any[] }>;
  stop(): Promise<void>;
}

function postTo(url: string): Router['gql'] {
  return async (query, variables = {}, headers = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return response.json() as never;
  };
}

export async function startApolloGateway(supergraphSdl: string): Promise<Router> {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { port: await freePort(), host: '127.0.0.1' } });
  return { url, gql: postTo(url), stop: () => server.stop() };
}

/**
 * The Hive Gateway runtime, served by node:http. Subscriptions to `pedigree` go over graphql-ws
 * on its /graphql path; clients read them over SSE (accept: text/event-stream).
 */
export async function startHiveGateway(supergraphSdl: string, wsSubgraph = 'pedigree'): Promise<Router> {
  const runtime = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    transportEntries: { [wsSubgraph]: { options: { subscriptions: { kind: 'ws', location: '/graphql' } } } },
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
