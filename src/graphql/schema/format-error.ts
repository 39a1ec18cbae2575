/**
 * The edge of the error vocabulary: PedigreeErrors keep their message and code, GraphQL's
 * own errors (parse, validation, variable coercion) keep theirs, everything else becomes
 * INTERNAL_SERVER_ERROR with no message detail. Nothing of Cypher, stacks or hosts escapes.
 */
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode, PedigreeError } from '../../domain/errors.ts';

const GRAPHQL_OWN_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = pedigreeErrorIn(error) ?? unwrapResolverError(error);
  if (original instanceof PedigreeError) {
    return {
      message: original.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { ...original.details, code: original.code },
    };
  }
  const code = formatted.extensions?.['code'];
  // graphql-js's maxTokens parse option: a limit, reported like the others.
  if (code === 'GRAPHQL_PARSE_FAILED' && /Document contains more tha[nt] \d+ tokens/.test(formatted.message)) {
    return { message: formatted.message.replace(/^Syntax Error: /, ''), extensions: { code: ErrorCode.LIMIT_EXCEEDED } };
  }
  if (typeof code === 'string' && GRAPHQL_OWN_CODES.has(code)) {
    return { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: { code } };
  }
  if (isGraphQLError(original) && !original.originalError && original.path === undefined) {
    // A graphql-js error about the request itself (e.g. validation over WebSocket), or about a
    // field's argument the variables make invalid (e.g. null for a non-null one): that one keeps
    // the field's path.
    return {
      message: formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    };
  }
  return {
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** True when the client will see a masked error: those are the ones worth logging in full. */
export function isMasked(error: unknown): boolean {
  if (pedigreeErrorIn(error)) return false;
  const original = unwrapResolverError(error);
  // Apollo's parse and validation errors wrap graphql-js's, so they carry an originalError.
  const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
  if (typeof code === 'string' && GRAPHQL_OWN_CODES.has(code)) return false;
  return !(isGraphQLError(original) && !original.originalError);
}

/**
 * The PedigreeError behind an error, if any: resolvers' errors are wrapped once by graphql-js;
 * limit rules and context failures wrap one in a GraphQLError that Apollo may wrap again.
 */
function pedigreeErrorIn(error: unknown): PedigreeError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof PedigreeError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * graphql 16 ships CommonJS and ESM builds; libraries may load either, so `instanceof` across
 * them fails. Its errors identify themselves by their toStringTag.
 */
function isGraphQLError(value: unknown): value is { originalError?: unknown; path?: unknown } {
  return Object.prototype.toString.call(value) === '[object GraphQLError]';
}
