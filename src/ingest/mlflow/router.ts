/**
 * MLflow's REST API under a per-project base path: `/mlflow/<project name or id>` is the
 * tracking URI an unmodified client is given (MLFLOW_TRACKING_URI), with a Pedigree
 * credential as MLFLOW_TRACKING_TOKEN (sent as `Authorization: Bearer`). Every request is
 * authenticated and rate-limited like a GraphQL request; a project the viewer cannot read is
 * RESOURCE_DOES_NOT_EXIST. Handlers (tracking.ts, models.ts, artifacts.ts) validate MLflow's
 * messages and call the recording services; errors leave in MLflow's shape (errors.ts).
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { canRead } from '../../auth/authorize.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { createContext, type Context, type ContextDeps } from '../../context.ts';
import { PedigreeError } from '../../domain/errors.ts';
import { projectByIdOrName } from '../../neo4j/queries/mlflow.ts';
import { nodeHeaders } from '../../neo4j/queries/nodes.ts';
import type { ProjectRow } from '../../domain/rows.ts';
import { createArtifactStore } from './artifact-store.ts';
import { listShape, uploadArtifact } from './artifacts.ts';
import type { Call, Handler } from './call.ts';
import { doesNotExist, endpointNotFound, fromPedigree, MlflowError } from './errors.ts';
import type { Message } from './fields.ts';
import { MODEL_ROUTES } from './models.ts';
import { TRACKING_ROUTES } from './tracking.ts';

export interface MlflowConfig {
  /** Where proxied artifacts are stored (one directory per project). */
  readonly artifactRoot: string;
  /** Largest accepted artifact upload, in bytes. */
  readonly maxArtifactBytes: number;
  /** Largest accepted JSON request body, in bytes. */
  readonly bodyBytes: number;
}

export interface MlflowRouterDeps {
  readonly config: MlflowConfig;
  /** Authentication and rate limiting of one request; throws a PedigreeError. */
  readonly authenticate: (authorization: string | undefined) => Promise<Viewer>;
  readonly contextDeps: ContextDeps;
  readonly logger: Logger;
}

const ROUTES: Record<string, Handler> = {
  ...TRACKING_ROUTES,
  ...MODEL_ROUTES,
  // The artifact repository asks for the server's capabilities; none of the optional ones here.
  'GET server-info': async () => ({}),
};

/** Route keys with `:name` segments, matched after the literal ones. */
const PATTERNS = Object.entries(ROUTES)
  .filter(([key]) => key.includes(':'))
  .map(([key, handler]) => {
    const [method, path] = key.split(' ') as [string, string];
    return { method, segments: path.split('/'), handler };
  });

function route(method: string, path: string): { handler: Handler; params: Record<string, string> } | null {
  const literal = ROUTES[`${method} ${path}`];
  if (literal) return { handler: literal, params: {} };
  const segments = path.split('/');
  for (const pattern of PATTERNS) {
    if (pattern.method !== method || pattern.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.segments.every((s, i) => {
      if (s.startsWith(':')) {
        params[s.slice(1)] = decodeURIComponent(segments[i]!);
        return segments[i] !== '';
      }
      return s === segments[i];
    });
    if (ok) return { handler: pattern.handler, params };
  }
  return null;
}

/**
 * Bounded memos of run -> project and project name or id -> project: a run never changes
 * project and a project is never renamed or removed, so a hit is never stale. Misses are not
 * remembered. Access is still checked per request against the viewer.
 */
const CACHE_SIZE = 100_000;

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, value);
}

export function createMlflowRouter(deps: MlflowRouterDeps): express.Router {
  const router = express.Router();
  const store = createArtifactStore(deps.config.artifactRoot, deps.config.maxArtifactBytes);
  const runProjects = new Map<string, string>();
  const projects = new Map<string, ProjectRow>();

  async function begin(req: Request): Promise<{ ctx: Context; project: ProjectRow }> {
    const viewer = await deps.authenticate(req.headers.authorization);
    const requestId = randomUUID();
    const ctx = createContext(deps.contextDeps, requestId, viewer);
    const ref = String(req.params['project']);
    let project = projects.get(ref) ?? null;
    if (project === null) {
      project = await ctx.executor.read('mlflow.project', (tx) => projectByIdOrName(tx, ref));
      if (project) remember(projects, ref, project);
    }
    if (!project || !canRead(viewer, project.id)) throw doesNotExist(`Project '${ref}' not found.`);
    return { ctx, project };
  }

  function runInProject(ctx: Context, projectId: string) {
    return async (runId: string) => {
      let owner = runProjects.get(runId);
      if (owner === undefined) {
        const headers = await ctx.executor.read('mlflow.runProject', (tx) => nodeHeaders(tx, [runId]));
        const header = headers.get(runId);
        if (!header || header.label !== 'Run') return false;
        owner = header.projectId;
        remember(runProjects, runId, owner);
      }
      return owner === projectId;
    };
  }

  function fail(res: Response, error: unknown): void {
    const mlflow =
      error instanceof MlflowError
        ? error
        : error instanceof PedigreeError
          ? fromPedigree(error)
          : (() => {
              const requestId = randomUUID();
              deps.logger.error({ err: error, requestId }, 'mlflow: request failed');
              return new MlflowError('INTERNAL_ERROR', `internal error (request id ${requestId})`, 500);
            })();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(mlflow.status).json({ error_code: mlflow.errorCode, message: mlflow.message });
  }

  // Artifacts first: an upload's body is streamed to the store, never parsed.
  router.all('/:project/api/:version/mlflow-artifacts/artifacts{/*path}', async (req, res) => {
    try {
      const { ctx, project } = await begin(req);
      const segments = (req.params as { path?: string[] }).path ?? [];
      const path = segments.join('/');
      if (req.method === 'PUT' && path !== '') {
        await uploadArtifact(ctx, store, project, path, req, runInProject(ctx, project.id));
        res.json({});
      } else if (req.method === 'GET' && path !== '') {
        const file = await store.open(project.id, path);
        if (!file) throw doesNotExist(`Artifact '${path}' not found.`);
        res.type('application/octet-stream');
        file.on('error', (error) => fail(res, error));
        file.pipe(res);
      } else if (req.method === 'GET') {
        const listed = typeof req.query['path'] === 'string' ? req.query['path'] : '';
        res.json(listShape(await store.list(project.id, listed)));
      } else {
        throw endpointNotFound(req.method, req.path);
      }
    } catch (error) {
      // An upload refused before its body was read: drain it so the client sees the answer.
      req.resume();
      fail(res, error);
    }
  });

  router.all(
    '/:project/api/:version/mlflow/*route',
    express.json({ limit: deps.config.bodyBytes, type: () => true }),
    async (req, res) => {
      try {
        const segments = (req.params as { route: string[] }).route;
        const found = route(req.method, segments.join('/'));
        if (!found) throw endpointNotFound(req.method, req.path);
        const { ctx, project } = await begin(req);
        const message = (req.method === 'GET' ? req.query : (req.body ?? {})) as Message;
        if (message === null || typeof message !== 'object' || Array.isArray(message)) throw new MlflowError('MALFORMED_REQUEST', 'the request body must be a JSON object', 400);
        const call: Call = { ctx, project, message, params: found.params, store, runInProject: runInProject(ctx, project.id) };
        res.json(await found.handler(call));
      } catch (error) {
        fail(res, error);
      }
    },
  );

  router.all('/{*rest}', (req, res) => fail(res, endpointNotFound(req.method, req.path)));

  // body-parser's errors: an oversized or malformed body.
  const bodyErrors: express.ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, next) => {
    if (error.type === 'entity.too.large') fail(res, new MlflowError('RESOURCE_EXHAUSTED', `the request body exceeds ${deps.config.bodyBytes} bytes`, 413));
    else if (error.status === 400) fail(res, new MlflowError('MALFORMED_REQUEST', 'the request body is not valid JSON', 400));
    else next(error);
  };
  router.use(bodyErrors);
  return router;
}
