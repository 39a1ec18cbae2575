/** The Apollo server behind HTTP /graphql: the schema, limits and error masking WebSocket uses too. */
import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Config } from '../config.ts';
import type { Context } from '../context.ts';
import { formatError } from '../graphql/schema/format-error.ts';
import { parseOptions } from '../graphql/schema/limits.ts';
import { observabilityPlugin } from './apollo-plugins.ts';
import type { Metrics } from './metrics.ts';
import { workLimitPlugin } from './operation-guards.ts';

export interface ApolloDeps {
  readonly schema: GraphQLSchema;
  readonly config: Pick<Config, 'production' | 'limits'>;
  readonly rules: ValidationRule[];
  readonly httpServer: Server;
  readonly metrics: Metrics;
  /** The WebSocket server (ws/server.ts), disposed after HTTP has drained. */
  readonly webSocket: { dispose(): void | Promise<void> };
}

export function createApollo(deps: ApolloDeps): ApolloServer<Context> {
  const { schema, config, rules, httpServer, metrics, webSocket } = deps;
  return new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    validationRules: rules,
    parseOptions: parseOptions(config.limits),
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Pedigree sets no cache hints; the default cache-control plugin ran a hook on every field.
      ApolloServerPluginCacheControlDisabled(),
      { serverWillStart: async () => ({ drainServer: async () => { await webSocket.dispose(); } }) },
      observabilityPlugin(metrics),
      workLimitPlugin(config.limits),
    ],
  });
}
