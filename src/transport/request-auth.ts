/**
 * How a request becomes a viewer, on HTTP and WebSocket alike: authentication, refused for an
 * address that failed too often (each failure counted), and the per-credential rate limit.
 */
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { createAuthenticator, type Authenticator } from '../auth/authenticate.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { Config } from '../config.ts';
import { PedigreeError } from '../domain/errors.ts';
import type { Executor } from '../neo4j/executor.ts';
import { createAuthFailureLimiter, createRateLimiter, type RateLimiter } from './guards.ts';

export interface RequestAuth {
  readonly auth: Authenticator;
  readonly rateLimiter: RateLimiter;
  /** Authenticates, refusing an address that failed too often, and counting this attempt's failure. */
  authenticateFrom(address: string, authorization: string | undefined): Promise<Viewer>;
  /** The viewer of an HTTP request, or a GraphQLError carrying the HTTP status to answer with. */
  viewerFor(address: string, authorization: string | undefined): Promise<Viewer>;
}

export function createRequestAuth(config: Pick<Config, 'auth' | 'limits'>, executor: Executor): RequestAuth {
  const auth = createAuthenticator(config.auth, executor);
  const rateLimiter = createRateLimiter(config.limits);
  const authFailures = createAuthFailureLimiter(config.limits);

  async function authenticateFrom(address: string, authorization: string | undefined): Promise<Viewer> {
    await authFailures.check(address);
    try {
      return await auth.authenticate(authorization);
    } catch (error) {
      if (error instanceof PedigreeError && error.code === 'UNAUTHENTICATED') await authFailures.failed(address);
      throw error;
    }
  }

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

  return { auth, rateLimiter, authenticateFrom, viewerFor };
}
