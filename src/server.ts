/**
 * The composition root: the only place that wires config, driver, executor, schema, HTTP and
 * WebSocket servers. It owns start-up (listen at once, then connect to Neo4j and migrate in
 * the background so /health/ready can say 503 meanwhile; the event dispatcher starts once
 * migrations are applied, webhook delivery after it) and the shutdown order: stop accepting,
 * drain HTTP and WebSocket, stop webhook delivery, stop the event dispatcher, close the driver.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Driver } from 'neo4j-driver';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { HeaderMap } from '@apollo/server';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Viewer } from './auth/viewer.ts';
import type { Config } from './config.ts';
import { createContext, type Context, type ContextDeps } from './context.ts';
import { limitExceeded, PedigreeError, unauthenticated } from './domain/errors.ts';
import { createDispatcher, type Dispatcher } from './events/dispatcher.ts';
import { createWebhookDeliverer } from './events/webhooks/deliverer.ts';
import { observabilityPlugin } from './http/apollo-plugins.ts';
import { openLineageRouter } from './ingest/openlineage/routes.ts';
import { coalesceWrites } from './http/coalesce-writes.ts';
import { clientAddress, createAuthFailureLimiter, createRateLimiter, fromRouter } from './http/guards.ts';
import { createMetrics } from './http/metrics.ts';
import { capResponses } from './http/response-size.ts';
import { createDriver, waitForNeo4j } from './neo4j/driver.ts';
import { createExecutor, type Executor, type QueryObserver } from './neo4j/executor.ts';
import { loadMigrations, migrate } from './neo4j/migrations.ts';
import { createWindowPruner } from './monitoring/retention.ts';
import { backfillRunSearch } from './experiments/search-backfill.ts';
import { formatError } from './graphql/schema/format-error.ts';
import { createMlflowRouter } from './ingest/mlflow/router.ts';
import { createEventRenderer } from './graphql/schema/event-json.ts';
import { createSchema } from './graphql/schema/index.ts';
import { parseOptions, validationRules } from './graphql/schema/limits.ts';
import { subscribeWithEventLoaders } from './graphql/schema/operations.ts';
import { liveFrames, shareNextFrames, sharedNextPayload, type FrameTarget } from './transport/ws/shared-next.ts';
import { mountWebApp } from './transport/web-app.ts';
import { checkWork } from './graphql/schema/work.ts';
import { workLimitPlugin } from './http/operation-guards.ts';

export interface GatewayOptions {
  readonly config: Config;
  /** The Bolt URI to use; main.ts passes the embedded one when NEO4J_URI is unset. */
  readonly neo4jUri: string;
  readonly logger?: Logger;
  /** Called with every request's id; the observer sees that request's Cypher statements. */
  readonly queryObserver?: (requestId: string) => QueryObserver | undefined;
}

export interface Gateway {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly executor: Executor;
  readonly driver: Driver;
  /** Resolves once Neo4j answered and migrations are applied; rejects if start-up gave up. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'pedigree' } });
  const metrics = createMetrics();
  const driver = createDriver({ ...config.neo4j, uri: options.neo4jUri });
  // A unit that appended events waits, after its commit, for this process's sequencer to number
  // them (which wakes the dispatcher); other instances' events are found by polling.
  const commits = { sequence: () => Promise.resolve() };
  const executor = createExecutor(
    { driver, database: config.neo4j.database, logger, onEventsCommitted: () => commits.sequence(), slowQueryMs: config.neo4j.slowQueryMs, retryMs: config.neo4j.retryMs },
    [metrics.queryObserver],
  );
  const dispatcher: Dispatcher = createDispatcher({ executor, logger, config: config.events });
  commits.sequence = () => dispatcher.sequence();
  const windowPruner = createWindowPruner({
    executor,
    logger,
    config: { retentionMs: config.monitoring.windowRetentionMs, pruneIntervalMs: config.monitoring.pruneIntervalMs },
  });
  const sockets = new SocketRegistry();
  const contextDeps: ContextDeps = {
    executor,
    logger,
    events: dispatcher,
    closeSocketsOf: (tokenId) => sockets.close(tokenId),
    webhooks: { allowPrivate: config.webhooks.allowPrivate, secretKey: config.webhooks.secretKey },
    ...(options.queryObserver ? { queryObserver: options.queryObserver } : {}),
  };
  const schema = createSchema();
  // Webhook bodies are rendered as a reader of the event's project would see the event.
  const webhookViewer = (projectId: string): Viewer => ({ subject: 'webhooks', admin: false, roles: new Map([[projectId, 'VIEWER']]), credential: { kind: 'admin-token' } });
  const webhooks = config.webhooks.deliver
    ? createWebhookDeliverer({
        executor,
        dispatcher,
        render: createEventRenderer(schema, (projectId) => createContext(contextDeps, randomUUID(), webhookViewer(projectId))),
        config: config.webhooks,
        retentionMs: config.events.retentionMs,
        logger,
      })
    : null;
  const auth = createAuthenticator(config.auth, executor);
  const rateLimiter = createRateLimiter(config.limits);
  const authFailures = createAuthFailureLimiter(config.limits);

  /** Authenticates, refusing an address that failed too often, and counting this attempt's failure. */
  async function authenticateFrom(address: string, authorization: string | undefined): Promise<Viewer> {
    await authFailures.check(address);
    try {
      return await auth.authenticate(authorization);
    } catch (error) {
      if (error instanceof PedigreeError && error.code === 'UNAUTHENTICATED') await authFailures.failed(address);
      throw error;
    }
  }
  const rules = validationRules(config.limits, { introspection: !config.production });

  /** The viewer of an HTTP request, or a GraphQLError carrying the HTTP status to answer with. */
  async function viewerFor(address: string, authorization: string | undefined): Promise<Viewer> {
    try {
      const viewer = await authenticateFrom(address, authorization);
      await rateLimiter.consume(`${viewer.credential.kind}:${viewer.subject}`);
      return viewer;
    } catch (error) {
      if (!(error instanceof PedigreeError)) throw error;
      const retryAfter = error.details['retryAfter'];
      const status = error.code === 'RATE_LIMITED' ? 429 : 401;
      const headers = new HeaderMap(typeof retryAfter === 'number' ? [['retry-after', String(retryAfter)]] : []);
      // Apollo answers with extensions.http's status and headers; the type is augmented twice
      // (by @apollo/server and, in dev, an older @apollo/server-gateway-interface), hence the cast.
      const extensions = { code: error.code, http: { status, headers } } as Record<string, unknown>;
      throw new GraphQLError(error.message, { originalError: error, extensions });
    }
  }

  const app = express();
  app.disable('x-powered-by');
  // No ETag: Express would hash every response body (sha1 of megabytes for a large traversal) for
  // a header GraphQL POSTs never revalidate with.
  app.set('etag', false);
  const httpServer = createServer(app);
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
  // Before graphql-ws's own listener: frames sent in one turn of the event loop leave in one
  // write, and each event's `next` payload is serialized once per operation.
  wsServer.on('connection', (ws, request) => {
    coalesceWrites(ws, request.socket);
    shareNextFrames(ws);
  });
  /** The socket and id of each subscription's context, for its live frames (shared-next.ts). */
  const frameTargets = new WeakMap<object, FrameTarget>();
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer; subscriptions?: Set<string> }>(
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
          // As on HTTP (apollo-plugins.ts): over a limit, graphql-js's "Validation aborted." says nothing more.
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
        frameTargets.set(contextValue, { socket: ctx.extra.socket, id, format: formatResult, maxBytes: config.limits.responseBytes });
        return { schema, document, variableValues: payload.variables ?? {}, operationName: payload.operationName ?? null, contextValue };
      },
      onComplete: (ctx, id) => {
        ctx.extra.subscriptions?.delete(id);
      },
      onNext: (ctx, id, _payload, _args, result) => sharedNextPayload(ctx.extra.socket, id, result as ExecutionResult, formatResult, config.limits.responseBytes),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wsServer,
    config.ws.keepAliveMs,
  );

  const apollo = new ApolloServer<Context>({
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
      { serverWillStart: async () => ({ drainServer: async () => { await wsCleanup.dispose(); } }) },
      observabilityPlugin(metrics),
      workLimitPlugin(config.limits),
    ],
  });
  await apollo.start();

  const state = { migrated: false };
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    const reachable = state.migrated && (await ping(driver, config.neo4j.database));
    res.status(reachable ? 200 : 503).json({ status: reachable ? 'ready' : 'unavailable', neo4j: reachable, migrated: state.migrated });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(
    '/graphql',
    (req, res, next) => {
      res.on('finish', () => metrics.httpRequests.inc({ route: '/graphql', status: String(res.statusCode) }));
      // Only the router may call a subgraph that has a router secret: refused before parsing.
      if (!fromRouter(config.auth, req.headers)) {
        res.status(403).json({ errors: [{ message: 'this subgraph accepts requests from its router only', extensions: { code: 'FORBIDDEN' } }] });
        return;
      }
      next();
    },
    capResponses(config.limits.responseBytes),
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('x-request-id', requestId);
        return createContext(contextDeps, requestId, await viewerFor(clientAddress(config.auth, req.headers, req.socket.remoteAddress), req.headers.authorization));
      },
    }),
  );

  app.use(
    '/mlflow',
    (req, res, next) => {
      res.on('finish', () => metrics.httpRequests.inc({ route: '/mlflow', status: String(res.statusCode) }));
      if (!fromRouter(config.auth, req.headers)) {
        res.status(403).json({ error_code: 'PERMISSION_DENIED', message: 'this subgraph accepts requests from its router only' });
        return;
      }
      next();
    },
    createMlflowRouter({
      config: config.mlflow,
      authenticate: async (authorization) => {
        const viewer = await auth.authenticate(authorization);
        await rateLimiter.consume(viewer.subject);
        return viewer;
      },
      contextDeps,
      logger,
    }),
  );

  // body-parser's errors (a body over the limit, malformed JSON) as GraphQL errors with a code.
  const bodyErrors: express.ErrorRequestHandler = (error: { status?: number; type?: string }, _req, res, next) => {
    if (error.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: `the request body exceeds ${config.limits.bodyBytes} bytes`, extensions: { code: 'LIMIT_EXCEEDED' } }] });
    } else if (error.status === 400) {
      res.status(400).json({ errors: [{ message: 'the request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    } else {
      next(error);
    }
  };
  app.use('/graphql', bodyErrors);
  // The lineage explorer: static files on / and /assets, a client of /graphql like any other.
  mountWebApp(app);

  // OpenLineage (Marquez's lineage endpoint): events recorded through the recording services.
  app.use(
    openLineageRouter({
      authenticate: async (authorization) => {
        const viewer = await auth.authenticate(authorization);
        await rateLimiter.consume(viewer.subject);
        return viewer;
      },
      context: (requestId, viewer) => createContext(contextDeps, requestId, viewer),
      bodyBytes: config.limits.bodyBytes,
      logger,
    }),
  );

  await listen(httpServer, config.port, config.host);
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}/graphql`;

  const startup = new AbortController();
  const ready = (async () => {
    await waitForNeo4j(driver, config.neo4j.database, config.neo4j.startupTimeoutMs, startup.signal);
    const report = await migrate(executor, logger, await loadMigrations());
    const backfilled = await backfillRunSearch(executor);
    if (backfilled > 0) logger.info({ runs: backfilled }, 'run search: flattened params of older runs');
    await dispatcher.start();
    windowPruner.start();
    webhooks?.start();
    state.migrated = true;
    logger.info({ applied: report.applied, schemaVersion: report.current }, 'neo4j ready');
  })();
  ready.catch(() => {}); // The caller decides what a failed start-up means; no unhandled rejection.

  let stopping: Promise<void> | undefined;
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    port,
    executor,
    driver,
    ready,
    stop: () =>
      (stopping ??= (async () => {
        startup.abort();
        sockets.stop();
        await apollo.stop(); // stops accepting, drains HTTP, then WebSocket (plugins above)
        await ready.catch(() => {});
        await webhooks?.stop();
        await dispatcher.stop();
        await windowPruner.stop();
        await driver.close();
      })()),
  };
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

async function ping(driver: Driver, database: string): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref());
  const check = driver.executeQuery('RETURN 1', {}, { database }).then(
    () => true,
    () => false,
  );
  return Promise.race([check, timeout]);
}

function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._-]{1,100}$/.test(value) ? value : randomUUID();
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Open WebSockets by credential: each re-checks its credential periodically (expiry, a
 * revocation made through another gateway) and closes with 4403 when it no longer holds;
 * a revocation made here closes the token's sockets at once.
 */
class SocketRegistry {
  readonly #byToken = new Map<string, Set<WebSocket>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  add(socket: WebSocket, viewer: Viewer, stillValid: (viewer: Viewer) => Promise<boolean>, recheckMs: number): void {
    const tokenId = viewer.credential.kind === 'api-token' ? viewer.credential.tokenId : null;
    if (tokenId) {
      if (!this.#byToken.has(tokenId)) this.#byToken.set(tokenId, new Set());
      this.#byToken.get(tokenId)!.add(socket);
    }
    const expiresAt = viewer.credential.kind === 'admin-token' ? null : viewer.credential.expiresAt;
    const timer = setInterval(() => {
      const expired = expiresAt !== null && expiresAt.getTime() <= Date.now();
      (expired ? Promise.resolve(false) : stillValid(viewer)).then(
        (valid) => {
          if (!valid) socket.close(CloseCode.Forbidden, 'Forbidden');
        },
        () => {}, // Neo4j unreachable: keep the socket, check again next time
      );
    }, recheckMs);
    timer.unref();
    this.#timers.add(timer);
    socket.once('close', () => {
      clearInterval(timer);
      this.#timers.delete(timer);
      if (tokenId) this.#byToken.get(tokenId)?.delete(socket);
    });
  }

  close(tokenId: string): void {
    for (const socket of this.#byToken.get(tokenId) ?? []) socket.close(CloseCode.Forbidden, 'Forbidden');
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }
}
