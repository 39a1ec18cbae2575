/**
 * Checks of an HTTP operation once Apollo has parsed, validated and picked it, before it
 * executes: a subscription is refused (subscriptions are served over WebSocket), and the work
 * the operation asks for with its variables must be within the limit (src/graphql/schema/work.ts;
 * graphql-ws's onSubscribe applies the same check on WebSocket).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Limits } from '../config.ts';
import type { Context } from '../context.ts';
import { ErrorCode, PedigreeError } from '../domain/errors.ts';
import { checkWork } from '../graphql/schema/work.ts';

/** A refusal Apollo answers with this HTTP status (extensions.http) and the PedigreeError's code. */
function clientError(error: PedigreeError, status: number): GraphQLError {
  // The http extension's type is augmented twice (see request-auth.ts viewerFor), hence the cast.
  const extensions = { code: error.code, http: { status } } as Record<string, unknown>;
  return new GraphQLError(error.message, { originalError: error, extensions });
}

export function workLimitPlugin(limits: Limits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, schema }) {
          if (operation?.operation === 'subscription') {
            throw clientError(
              new PedigreeError(ErrorCode.USE_WEBSOCKET, 'subscriptions are served over WebSocket (graphql-transport-ws) at this same path, not over HTTP POST; poll `events` over HTTP instead'),
              400,
            );
          }
          try {
            checkWork(limits, schema, document, request.operationName, request.variables);
          } catch (error) {
            if (error instanceof PedigreeError) throw clientError(error, 400);
            throw error;
          }
        },
      };
    },
  };
}
