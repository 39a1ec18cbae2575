/**
 * The OpenLineage HTTP API: Marquez's `POST /api/v1/lineage`, under a project prefix
 * (`/openlineage/<project name or id>/api/v1/lineage`) or, for a credential scoped to exactly
 * one project, bare. An accepted event answers 201 (as Marquez does); errors answer
 * `{ code, message, field?, errors? }` with the status of the code.
 *
 * OpenLineage clients join their URL and the endpoint the way `urljoin` does, so a URL without
 * a trailing slash loses its last segment, the project: `/openlineage/api/v1/lineage` gets an
 * answer that says so.
 */
import express, { type Request, type Response, type Router } from 'express';
import { canRead } from '../../auth/authorize.ts';
import { readScope } from '../../auth/scope.ts';
import type { Viewer } from '../../auth/viewer.ts';
import type { Context } from '../../context.ts';
import { badInput, notFound } from '../../domain/errors.ts';
import { labelOf } from '../../domain/ids.ts';
import { projectIdByName } from '../../neo4j/queries/projects.ts';
import { requestIdFrom } from '../../domain/request-id.ts';
import { answerError, bodyErrors, type JsonIngestDeps } from '../json-http.ts';
import { ingestRunEvent } from './mapping.ts';
import { checkEvent } from './validate.ts';



export function openLineageRouter(deps: JsonIngestDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: deps.bodyBytes });

  router.post('/openlineage/api/v1/lineage', (req, res) => {
    answerError(
      res,
      badInput(
        'url',
        'no project in the URL: set the OpenLineage URL to http(s)://<host>/openlineage/<project>/ with the trailing slash ' +
          '(clients join URL and endpoint like urljoin, which drops a last segment without one)',
      ),
      deps.logger,
      'openlineage',
    );
  });
  router.post('/openlineage/:project/api/v1/lineage', json, (req, res) => handle(req, res, req.params['project'] as string));
  router.post('/api/v1/lineage', json, (req, res) => handle(req, res, null));
  router.use(['/openlineage', '/api/v1/lineage'], bodyErrors(deps.bodyBytes));

  async function handle(req: Request, res: Response, projectSegment: string | null): Promise<void> {
    try {
      const viewer = await deps.authenticate(req.headers.authorization);
      const ctx = deps.context(requestIdFrom(req.headers['x-request-id']), viewer);
      res.setHeader('x-request-id', ctx.requestId);
      const projectId = projectSegment === null ? onlyProjectOf(viewer) : await resolveProject(ctx, projectSegment);
      const checked = checkEvent(req.body);
      if (checked.kind !== 'RunEvent') {
        // Pedigree records runs; a job's or dataset's static metadata has no run to attach to.
        res.status(201).json({ accepted: checked.kind, recorded: false });
        return;
      }
      const result = await ingestRunEvent(ctx, projectId, checked.event);
      res.status(201).json({ accepted: checked.kind, recorded: true, ...result });
    } catch (error) {
      answerError(res, error, deps.logger, 'openlineage');
    }
  }
  return router;
}

/** The project of a credential that has a role in exactly one (a project API token). */
function onlyProjectOf(viewer: Viewer): string {
  if (!viewer.admin && viewer.roles.size === 1) return [...viewer.roles.keys()][0]!;
  throw badInput('url', 'this credential is not scoped to exactly one project: post to /openlineage/<project>/api/v1/lineage (URL http(s)://<host>/openlineage/<project>/)');
}

/** A project id or name the viewer can read; NOT_FOUND otherwise, for a missing and a hidden project alike. */
async function resolveProject(ctx: Context, segment: string): Promise<string> {
  const id = labelOf(segment) === 'Project' ? segment : await ctx.executor.readOne('openlineage.project', (tx) => projectIdByName(tx, segment, readScope(ctx.viewer).projectIds));
  if (id === null || !canRead(ctx.viewer, id)) throw notFound('project', segment, 'url');
  return id;
}
