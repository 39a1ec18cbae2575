/**
 * The HTTP routes: health and metrics, GraphQL over HTTP (router-only, size-capped, with a
 * request id), MLflow's REST API, the lineage explorer, OpenLineage and serving windows, mounted
 * in that order.
 */
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Driver } from 'neo4j-driver';
import type { Logger } from 'pino';
import type { Viewer } from '../auth/viewer.ts';
import type { Config } from '../config.ts';
import { createContext, type Context, type ContextDeps } from '../context.ts';
import { requestIdFrom } from '../domain/request-id.ts';
import type { JsonIngestDeps } from '../ingest/json-http.ts';
import { createMlflowRouter } from '../ingest/mlflow/router.ts';
import { openLineageRouter } from '../ingest/openlineage/routes.ts';
import { SERVING_WINDOWS_PATH, servingHttpRouter } from '../ingest/serving/routes.ts';
import { clientAddress, fromRouter } from './guards.ts';
import type { Metrics } from './metrics.ts';
import type { RequestAuth } from './request-auth.ts';
import { capResponses } from './response-size.ts';
import { mountWebApp } from './web-app.ts';

/** The Express app, before any route. */
export function createHttpApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: Express would hash every response body (sha1 of megabytes for a large traversal) for
  // a header GraphQL POSTs never revalidate with.
  app.set('etag', false);
  return app;
}

export interface RouteDeps {
  readonly config: Config;
  /** Started (apollo.start()) before the routes are mounted. */
  readonly apollo: ApolloServer<Context>;
  readonly metrics: Metrics;
  readonly requestAuth: RequestAuth;
  readonly contextDeps: ContextDeps;
  readonly logger: Logger;
  readonly driver: Driver;
  /** Whether migrations are applied (start-up, in src/server.ts). */
  readonly migrated: () => boolean;
}

export function mountRoutes(app: Express, deps: RouteDeps): void {
  const { config, apollo, metrics, requestAuth, contextDeps, logger, driver, migrated } = deps;
  const { auth, rateLimiter, viewerFor } = requestAuth;
  /** The viewer of a REST route's Authorization header, rate-limited like GraphQL requests. */
  const authenticate = async (authorization: string | undefined): Promise<Viewer> => {
    const viewer = await auth.authenticate(authorization);
    await rateLimiter.consume(viewer.subject);
    return viewer;
  };
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    const reachable = migrated() && (await ping(driver, config.neo4j.database));
    res.status(reachable ? 200 : 503).json({ status: reachable ? 'ready' : 'unavailable', neo4j: reachable, migrated: migrated() });
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
      authenticate,
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

  // The plain-JSON ingest routes: OpenLineage (Marquez's lineage endpoint) and serving windows
  // (docs/monitoring.md), recorded through the services. Behind a router secret, like /graphql
  // and /mlflow: every API route is the router's only.
  const routerOnly =
    (route: string): express.RequestHandler =>
    (req, res, next) => {
      res.on('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }));
      if (fromRouter(config.auth, req.headers)) return next();
      res.status(403).json({ code: 'FORBIDDEN', message: 'this subgraph accepts requests from its router only' });
    };
  const jsonIngest: JsonIngestDeps = {
    authenticate,
    context: (requestId, viewer) => createContext(contextDeps, requestId, viewer),
    bodyBytes: config.limits.bodyBytes,
    logger,
  };
  app.use(['/openlineage', '/api/v1/lineage'], routerOnly('/openlineage'));
  app.use(openLineageRouter(jsonIngest));
  app.use(SERVING_WINDOWS_PATH, routerOnly(SERVING_WINDOWS_PATH));
  app.use(servingHttpRouter(jsonIngest));
}

async function ping(driver: Driver, database: string): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref());
  const check = driver.executeQuery('RETURN 1', {}, { database }).then(
    () => true,
    () => false,
  );
  return Promise.race([check, timeout]);
}
