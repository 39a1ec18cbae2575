/**
 * The composition root: the only place that wires config, driver, executor, schema, HTTP and
 * WebSocket servers. It owns start-up (listen at once, then connect to Neo4j and migrate in
 * the background so /health/ready can say 503 meanwhile; the event dispatcher starts once
 * migrations are applied) and the shutdown order: stop accepting, drain HTTP and WebSocket,
 * stop the event dispatcher, close the driver.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { Driver } from 'neo4j-driver';
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { authenticate } from './auth/viewer.ts';
import type { Config } from './config.ts';
import { createContext, type Context, type ContextDeps } from './context.ts';
import { createDispatcher, type Dispatcher } from './events/dispatcher.ts';
import { observabilityPlugin } from './http/apollo-plugins.ts';
import { createMetrics } from './http/metrics.ts';
import { createDriver, waitForNeo4j } from './neo4j/driver.ts';
import { createExecutor, type Executor, type QueryObserver } from './neo4j/executor.ts';
import { loadMigrations, migrate } from './neo4j/migrations.ts';
import { formatError } from './schema/format-error.ts';
import { createSchema } from './schema/index.ts';
import { extraValidationRules, subscribeWithEventLoaders, validateWsOperation } from './schema/operations.ts';

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
  // Local commits wake the dispatcher at once; other instances' commits are found by polling.
  const commits = { wake: () => {} };
  const executor = createExecutor(
    { driver, database: config.neo4j.database, logger, onWriteCommitted: () => commits.wake() },
    [metrics.queryObserver],
  );
  const dispatcher: Dispatcher = createDispatcher({ executor, logger, config: config.events });
  commits.wake = () => dispatcher.wake();
  const contextDeps: ContextDeps = { executor, logger, events: dispatcher, ...(options.queryObserver ? { queryObserver: options.queryObserver } : {}) };
  const schema = createSchema();
  const validationRules = extraValidationRules(config);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  // noServer: upgrades are accepted here, for /graphql only, once the server listens.
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: config.ws.maxPayloadBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  });
  const wsCleanup = useServer<Record<string, unknown>, { context?: Context }>(
    {
      schema,
      connectionInitWaitTimeout: config.ws.connectionInitTimeoutMs,
      onSubscribe: (_ctx, _id, payload) => validateWsOperation(schema, validationRules, payload) as never,
      subscribe: subscribeWithEventLoaders,
      context: (ctx) => {
        const authorization = ctx.connectionParams?.['authorization'];
        const context = createContext(contextDeps, randomUUID(), authenticate(typeof authorization === 'string' ? authorization : undefined));
        ctx.extra.context = context;
        return context;
      },
      onNext: (_ctx, _id, _payload, _args, result) => formatResult(result as ExecutionResult),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wsServer,
    config.ws.keepAliveMs,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    validationRules,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { serverWillStart: async () => ({ drainServer: async () => { await wsCleanup.dispose(); } }) },
      observabilityPlugin(metrics),
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
      next();
    },
    express.json({ limit: config.limits.bodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = requestIdFrom(req.headers['x-request-id']);
        res.setHeader('x-request-id', requestId);
        return createContext(contextDeps, requestId, authenticate(req.headers.authorization));
      },
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
    await dispatcher.start();
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
        await apollo.stop(); // stops accepting, drains HTTP, then WebSocket (plugins above)
        await ready.catch(() => {});
        await dispatcher.stop();
        await driver.close();
      })()),
  };
}

/** Applies the HTTP error masking to results sent over WebSocket too. */
function formatResult(result: ExecutionResult): FormattedExecutionResult {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: errors.map((error) => formatError(error.toJSON(), error)) } : rest;
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
