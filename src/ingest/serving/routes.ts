/**
 * Serving windows over plain HTTP: `POST /serving/v1/windows` with the body of
 * `recordServingWindow`'s input, for serving processes and sidecars that are not GraphQL
 * clients (docs/monitoring.md). The same service does the work (src/monitoring/windows.ts), with
 * the same checks, idempotency, skew, event and roles; only the transport differs, and it skips
 * what a window does not need from GraphQL: a window's 2,000-odd numbers cost graphql-js's
 * input coercion about 0.7 ms of the gateway's CPU per window, where a compiled JSON schema
 * checks their types in microseconds.
 *
 * The body is checked against the input's JSON schema (ajv), then by the service; every error
 * names the field as the GraphQL mutation would (`input.features[3].histogram.edges[2]`: the
 * body is the input). The answer is the window as stored: its key and its skew report (the
 * baseline's id, and per feature the method, distance, threshold and whether it was exceeded).
 */
import { Ajv, type ErrorObject } from 'ajv';
import express, { type Router } from 'express';
import { badInput } from '../../domain/errors.ts';
import { requestIdFrom } from '../../domain/request-id.ts';
import type { SkewReport } from '../../monitoring/skew.ts';
import { recordServingWindow, type RecordServingWindowInput } from '../../monitoring/windows.ts';
import { answerError, bodyErrors, type JsonIngestDeps } from '../json-http.ts';

export const SERVING_WINDOWS_PATH = '/serving/v1/windows';

const number = { type: 'number' } as const;
const string = { type: 'string' } as const;
const closed = <P extends Record<string, unknown>>(properties: P, required: readonly (keyof P & string)[]) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** RecordServingWindowInput of the GraphQL schema, as JSON: the types only; the service checks the values. */
const WINDOW_SCHEMA = closed(
  {
    deployment: string,
    start: string,
    end: string,
    metrics: { type: ['array', 'null'], items: closed({ key: string, value: number }, ['key', 'value']) },
    features: {
      type: ['array', 'null'],
      items: closed(
        {
          name: string,
          histogram: { type: ['object', 'null'], additionalProperties: false, required: ['edges', 'counts'], properties: { edges: { type: 'array', items: number }, counts: { type: 'array', items: number } } },
          categories: { type: ['array', 'null'], items: closed({ value: string, count: number }, ['value', 'count']) },
        },
        ['name'],
      ),
    },
  },
  ['deployment', 'start', 'end'],
);

const checkShape = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile<RecordServingWindowInput>(WINDOW_SCHEMA);

/** The body as the service's input, or BAD_USER_INPUT at the first field of the wrong type. */
function windowInput(body: unknown): RecordServingWindowInput {
  if (checkShape(body)) return body;
  const error = checkShape.errors![0]!;
  const field = fieldOf(error);
  throw badInput(field, `${field} ${describe(error)}`);
}

/** `/features/3/histogram/edges/2` (plus a missing or unknown property) as `input.features[3].histogram.edges[2]`. */
function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath.split('/').slice(1);
  const extra = error.params as { missingProperty?: string; additionalProperty?: string };
  const named = extra.missingProperty ?? extra.additionalProperty;
  if (named !== undefined) segments.push(named);
  return segments.reduce((path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment.replace(/~1/g, '/').replace(/~0/g, '~')}`), 'input');
}

function describe(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a field of the input';
    case 'type':
      return `must be ${String((error.params as { type: string | string[] }).type).replace(',', ' or ')}`;
    default:
      return error.message ?? 'is not valid';
  }
}

export function servingHttpRouter(deps: JsonIngestDeps): Router {
  const router = express.Router();
  router.post(SERVING_WINDOWS_PATH, express.json({ limit: deps.bodyBytes }), async (req, res) => {
    try {
      const viewer = await deps.authenticate(req.headers.authorization);
      const ctx = deps.context(requestIdFrom(req.headers['x-request-id']), viewer);
      res.setHeader('x-request-id', ctx.requestId);
      const window = await recordServingWindow(ctx, windowInput(req.body));
      const skew = window.skewJson === null ? null : (JSON.parse(window.skewJson) as SkewReport);
      res.status(200).json({
        deployment: window.deploymentId,
        start: new Date(window.startMs).toISOString(),
        end: new Date(window.endMs).toISOString(),
        skew: skew && { baseline: skew.baselineId, exceeded: skew.exceeded, features: skew.features },
      });
    } catch (error) {
      answerError(res, error, deps.logger, 'serving windows');
    }
  });
  router.use(SERVING_WINDOWS_PATH, bodyErrors(deps.bodyBytes));
  return router;
}
