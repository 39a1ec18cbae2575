/**
 * The composition root: the only place that wires config, driver, executor, schema, HTTP and
 * WebSocket servers (their routes and hooks live in src/transport). It owns start-up (listen at once, then connect to Neo4j and migrate in
 * the background so /health/ready can say 503 meanwhile; the event dispatcher starts once
 * migrations are applied, webhook delivery after it) and the shutdown order: stop accepting,
 * drain HTTP and WebSocket, stop webhook delivery, stop the event dispatcher, close the driver.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Driver } from 'neo4j-driver';
import { pino, type Logger } from 'pino';
import type { Viewer } from './auth/viewer.ts';
import type { Config } from './config.ts';
import { createContext, type ContextDeps } from './context.ts';
import { createDispatcher, type Dispatcher } from './events/dispatcher.ts';
import { eventLoopCalm, withSequencing } from './events/sequenced-writes.ts';
import { createWebhookDeliverer } from './events/webhooks/deliverer.ts';
import { backfillRunSearch } from './experiments/search-backfill.ts';
import { createEventRenderer } from './graphql/schema/event-json.ts';
import { createSchema } from './graphql/schema/index.ts';
import { validationRules } from './graphql/schema/limits.ts';
import { createWindowPruner } from './monitoring/retention.ts';
import { ServingTargets } from './monitoring/targets.ts';
import { createDriver, waitForNeo4j } from './neo4j/driver.ts';
import { createExecutor, type Executor, type QueryObserver } from './neo4j/executor.ts';
import { loadMigrations, migrate } from './neo4j/migrations.ts';
import { createApollo } from './transport/apollo.ts';
import { createMetrics } from './transport/metrics.ts';
import { createRequestAuth } from './transport/request-auth.ts';
import { createHttpApp, mountRoutes } from './transport/routes.ts';
import { attachWebSocket } from './transport/ws/server.ts';
import { SocketRegistry } from './transport/ws/sockets.ts';

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
  const database = createExecutor(
    { driver, database: config.neo4j.database, logger, slowQueryMs: config.neo4j.slowQueryMs, retryMs: config.neo4j.retryMs },
    [metrics.queryObserver],
  );
  const dispatcher: Dispatcher = createDispatcher({ executor: database, logger, config: config.events });
  // Commit, then sequence: a unit that appended events answers once they have seqs, numbered in
  // its own transaction when it is the only write in flight and the event loop is calm, else by
  // this process's sequencer (either wakes the dispatcher); other instances' events are found by
  // polling.
  const executor = withSequencing(database, () => dispatcher.sequence(), {
    sequenced: (head) => dispatcher.sequenced(head),
    calm: eventLoopCalm(),
  });
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
    servingTargets: new ServingTargets(),
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
        onAttempt: (outcome, entry) => {
          metrics.webhookAttempts.inc({ outcome });
          if (outcome === 'delivered') metrics.webhookDeliverySeconds.observe((entry.deliveredMs! - entry.event.occurredAt.getTime()) / 1_000);
        },
      })
    : null;
  const requestAuth = createRequestAuth(config, executor);
  const rules = validationRules(config.limits, { introspection: !config.production });

  const app = createHttpApp();
  const httpServer = createServer(app);
  const webSocket = attachWebSocket({ httpServer, schema, config, requestAuth, rules, contextDeps, sockets });
  const apollo = createApollo({ schema, config, rules, httpServer, metrics, webSocket });
  await apollo.start();

  const state = { migrated: false };
  mountRoutes(app, { config, apollo, metrics, requestAuth, contextDeps, logger, driver, migrated: () => state.migrated });

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
        await apollo.stop(); // stops accepting, drains HTTP, then WebSocket (src/transport/apollo.ts)
        await ready.catch(() => {});
        await webhooks?.stop();
        await dispatcher.stop();
        await windowPruner.stop();
        await driver.close();
      })()),
  };
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
