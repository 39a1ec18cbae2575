/**
 * What the plain-JSON ingest routes (OpenLineage, serving windows) share: their dependencies,
 * and their errors, `{ code, message, field?, ... }` with the HTTP status of the code, the same
 * codes GraphQL answers in `extensions.code`. MLflow's routes answer in MLflow's own shape
 * instead (src/ingest/mlflow).
 */
import type express from 'express';
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import { ErrorCode, PedigreeError, type ErrorCode as Code } from '../domain/errors.ts';

export interface JsonIngestDeps {
  /** The viewer of an Authorization header (authenticated and rate-limited), or a PedigreeError. */
  readonly authenticate: (authorization: string | undefined) => Promise<Viewer>;
  /** A request context for the viewer, as GraphQL requests get one. */
  readonly context: (requestId: string, viewer: Viewer) => Context;
  /** Largest accepted request body. */
  readonly bodyBytes: number;
  readonly logger: Logger;
}

export const STATUS: Record<Code, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  POLICY_VIOLATION: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  LIMIT_EXCEEDED: 413,
  RATE_LIMITED: 429,
  CURSOR_EXPIRED: 400,
  UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  USE_WEBSOCKET: 400,
  INTERNAL_SERVER_ERROR: 500,
};

/** Answers `error`: a PedigreeError with its code and details; anything else as a logged 500. */
export function answerError(res: Response, error: unknown, logger: Logger, route: string): void {
  if (error instanceof PedigreeError) {
    const retryAfter = error.details['retryAfter'];
    if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
    res.status(STATUS[error.code]).json({ code: error.code, message: error.message, ...error.details });
    return;
  }
  logger.error({ err: error }, `${route}: unexpected error`);
  res.status(500).json({ code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error' });
}

/** body-parser's errors (a body over the limit, malformed JSON) in the same shape. */
export function bodyErrors(bodyBytes: number): express.ErrorRequestHandler {
  return (error: { status?: number; type?: string }, _req, res, next) => {
    if (error.type === 'entity.too.large') {
      res.status(413).json({ code: ErrorCode.LIMIT_EXCEEDED, message: `the request body exceeds ${bodyBytes} bytes` });
    } else if (error.status === 400) {
      res.status(400).json({ code: ErrorCode.BAD_USER_INPUT, message: 'the request body is not valid JSON' });
    } else {
      next(error);
    }
  };
}
