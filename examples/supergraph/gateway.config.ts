/**
 * Hive Gateway (open-source router, MIT) in front of Pedigree and the accounts subgraph.
 * `hive-gateway supergraph supergraph.graphql` reads this file from its working directory.
 *
 * - Queries and mutations go to the subgraphs over HTTP; subscriptions to Pedigree over
 *   graphql-ws on the same /graphql path (Pedigree serves both on one port).
 * - The client's Authorization header is forwarded to every subgraph, and to Pedigree's
 *   WebSocket as the `authorization` connection parameter (what Pedigree reads on connect).
 */
import { defineConfig } from '@graphql-hive/gateway';

export const pedigreeTransport = {
  options: {
    subscriptions: {
      kind: 'ws',
      location: '/graphql',
      options: { connectionParams: { authorization: '{context.headers.authorization}' } },
    },
  },
} as const;

export const gatewayConfig = defineConfig({
  transportEntries: { pedigree: pedigreeTransport },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
  },
});
