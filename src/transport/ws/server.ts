/**
 * GraphQL over WebSocket (graphql-transport-ws) on /graphql: the upgrade and graphql-ws's hooks,
 * served by our adapter (adapter.ts), whose FrameSocket writes every frame of a socket.
 * Authentication happens once, at connection_init; every subscribe gets the same parse limits,
 * validation rules, work limit and rate limit as HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { WebSocketServer } from 'ws';
import type { Viewer } from '../../auth/viewer.ts';
import type { Config } from '../../config.ts';
import { createContext, type ContextDeps } from '../../context.ts';
import { limitExceeded, PedigreeError, unauthenticated } from '../../domain/errors.ts';
import { formatError } from '../../graphql/schema/format-error.ts';
import { parseOptions } from '../../graphql/schema/limits.ts';
import { subscribeWithEventLoaders } from '../../graphql/schema/operations.ts';
import { checkWork } from '../../graphql/schema/work.ts';
import { clientAddress, fromRouter } from '../guards.ts';
import type { RequestAuth } from '../request-auth.ts';
import { serveGraphqlWs } from './adapter.ts';
import { liveFrames, sharedNextPayload, type FrameTarget } from './shared-next.ts';
import type { SocketRegistry } from './sockets.ts';

export interface WebSocketDeps {
  readonly httpServer: Server;
  readonly schema: GraphQLSchema;
  readonly config: Pick<Config, 'auth' | 'limits' | 'production' | 'ws'>;
  readonly requestAuth: RequestAuth;
  /** The validation rules HTTP uses (src/graphql/schema/limits.ts). */
  readonly rules: readonly ValidationRule[];
  readonly contextDeps: ContextDeps;
  readonly sockets: SocketRegistry;
}

/** Accepts WebSocket upgrades on the HTTP server; the result's dispose closes every socket. */
export function attachWebSocket(deps: WebSocketDeps): { dispose(): void | Promise<void> } {
  const { httpServer, schema, config, requestAuth, rules, contextDeps, sockets } = deps;
  const { auth, rateLimiter, authenticateFrom } = requestAuth;
  // noServer: upgrades are accepted here, for /graphql only, once the server listens.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.ws.maxPayloadBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    if (!fromRouter(config.auth, request.headers)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  });
  /** The socket and id of each subscription's context, for its live frames (shared-next.ts). */
  const frameTargets = new WeakMap<object, FrameTarget>();
  return serveGraphqlWs<Record<string, unknown>, { viewer?: Viewer; subscriptions?: Set<string> }>(
    {
      schema,
      connectionInitWaitTimeout: config.ws.connectionInitTimeoutMs,
      subscribe: (args) => {
        const target = frameTargets.get(args.contextValue as object);
        return subscribeWithEventLoaders(args, target && ((key, execute) => liveFrames(target, key, execute)));
      },
      // Authentication happens once, at connection_init; a refused init closes with 4403.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.['authorization'];
        try {
          const address = clientAddress(config.auth, ctx.extra.request.headers, ctx.extra.request.socket.remoteAddress);
          ctx.extra.viewer = await authenticateFrom(address, typeof authorization === 'string' ? authorization : undefined);
        } catch (error) {
          if (error instanceof PedigreeError) return false;
          throw error;
        }
        ctx.extra.subscriptions = new Set();
        sockets.add(ctx.extra.socket, ctx.extra.viewer, (viewer) => auth.stillValid(viewer), config.auth.socketRecheckMs);
        return true;
      },
      // The same parse limits, validation rules and rate limit as HTTP, before anything runs.
      // The operation's slot is taken before the first await and given back on every refusal, so
      // subscribes pipelined on one socket cannot all pass the check before any is recorded.
      onSubscribe: async (ctx, id, payload) => {
        const viewer = ctx.extra.viewer!;
        const subscriptions = ctx.extra.subscriptions!;
        const refuse = (error: PedigreeError) => {
          subscriptions.delete(id);
          return [new GraphQLError(error.message, { originalError: error })];
        };
        // The viewer's expiry is in memory: checked on every operation, as HTTP does per request.
        if (expired(viewer)) {
          setImmediate(() => ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden'));
          return [new GraphQLError('the credential has expired', { originalError: unauthenticated('the credential has expired') })];
        }
        if (subscriptions.size >= config.limits.subscriptionsPerConnection) {
          const error = limitExceeded(`at most ${config.limits.subscriptionsPerConnection} subscriptions per connection`);
          return [new GraphQLError(error.message, { originalError: error })];
        }
        subscriptions.add(id);
        try {
          await rateLimiter.consume(`${viewer.credential.kind}:${viewer.subject}`);
        } catch (error) {
          if (error instanceof PedigreeError) return refuse(error);
          subscriptions.delete(id);
          throw error;
        }
        let document;
        try {
          document = parse(payload.query, parseOptions(config.limits));
        } catch (error) {
          subscriptions.delete(id);
          return [error as GraphQLError];
        }
        const errors = validate(schema, document, [...specifiedRules, ...rules]);
        if (errors.length > 0) {
          subscriptions.delete(id);
          // As on HTTP (src/transport/apollo-plugins.ts): over a limit, graphql-js's "Validation aborted." says nothing more.
          const limited = errors.some((error) => error.extensions['code'] === 'LIMIT_EXCEEDED');
          return limited ? errors.filter((error) => error.message !== 'Validation aborted.') : errors;
        }
        try {
          checkWork(config.limits, schema, document, payload.operationName, payload.variables);
        } catch (error) {
          if (error instanceof PedigreeError) return refuse(error);
          subscriptions.delete(id);
          throw error;
        }
        const contextValue = createContext(contextDeps, randomUUID(), viewer);
        frameTargets.set(contextValue, { socket: ctx.extra.frames, id, format: formatResult, maxBytes: config.limits.responseBytes });
        return { schema, document, variableValues: payload.variables ?? {}, operationName: payload.operationName ?? null, contextValue };
      },
      onComplete: (ctx, id) => {
        ctx.extra.subscriptions?.delete(id);
      },
      onNext: (ctx, id, _payload, _args, result) => sharedNextPayload(ctx.extra.frames, id, result as ExecutionResult, formatResult, config.limits.responseBytes),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wsServer,
    config.ws.keepAliveMs,
    config.production,
  );
}

/** Applies the HTTP error masking to results sent over WebSocket too. */
function formatResult(result: ExecutionResult): FormattedExecutionResult {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: errors.map((error) => formatError(error.toJSON(), error)) } : rest;
}

function expired(viewer: Viewer): boolean {
  const { credential } = viewer;
  return credential.kind !== 'admin-token' && credential.expiresAt !== null && credential.expiresAt.getTime() <= Date.now();
}
