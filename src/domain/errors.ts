/**
 * One error vocabulary (`extensions.code`). Code below `src/` throws these; the GraphQL edge
 * (src/graphql/schema/format-error.ts) turns them into `extensions.code` and masks everything else.
 * This module has no GraphQL dependency so that src/neo4j can use it.
 */

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  UNAVAILABLE: 'UNAVAILABLE',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  POLICY_VIOLATION: 'POLICY_VIOLATION',
  /** A subscription sent over HTTP: subscriptions are served over WebSocket (graphql-transport-ws). */
  USE_WEBSOCKET: 'USE_WEBSOCKET',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error whose message is safe to show to the client. */
export class PedigreeError extends Error {
  override name = 'PedigreeError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Bad input; `field` is the path of the offending input field, e.g. 'input.digest'. */
export function badInput(field: string, message: string): PedigreeError {
  return new PedigreeError(ErrorCode.BAD_USER_INPUT, message, { field });
}

/** `field` is the input path that carried the id, when there was one. */
export function notFound(what: string, id: string, field?: string): PedigreeError {
  return new PedigreeError(ErrorCode.NOT_FOUND, `${what} '${id}' not found`, field ? { id, field } : { id });
}

export function conflict(message: string, details: Record<string, unknown> = {}): PedigreeError {
  return new PedigreeError(ErrorCode.CONFLICT, message, details);
}

export function notImplemented(field: string): PedigreeError {
  return new PedigreeError(ErrorCode.NOT_IMPLEMENTED, `${field} is not implemented yet`, { field });
}

export function unavailable(message = 'the database is unavailable; retry later'): PedigreeError {
  return new PedigreeError(ErrorCode.UNAVAILABLE, message);
}

export function unauthenticated(message = 'send a valid credential: Authorization: Bearer <token>'): PedigreeError {
  return new PedigreeError(ErrorCode.UNAUTHENTICATED, message);
}

export function forbidden(message: string): PedigreeError {
  return new PedigreeError(ErrorCode.FORBIDDEN, message);
}

export function limitExceeded(message: string, details: Record<string, unknown> = {}): PedigreeError {
  return new PedigreeError(ErrorCode.LIMIT_EXCEEDED, message, details);
}

export function rateLimited(retryAfterSeconds: number): PedigreeError {
  return new PedigreeError(ErrorCode.RATE_LIMITED, `too many requests; retry after ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
}

/** A release a policy forbids; `failures` lists every failing rule (extensions.failures). */
export function policyViolation(message: string, failures: readonly Record<string, unknown>[]): PedigreeError {
  return new PedigreeError(ErrorCode.POLICY_VIOLATION, message, { failures });
}

/** BAD_USER_INPUT for a lineage edge that would close a cycle of `hops` edges (lineage is a DAG). */
export function lineageCycle(field: string, edge: string, hops: number): PedigreeError {
  return new PedigreeError(ErrorCode.BAD_USER_INPUT, `lineage must not form a cycle: the edge ${edge} would close one of ${hops} edges`, { field, edge });
}
