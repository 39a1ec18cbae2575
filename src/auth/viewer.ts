/**
 * Who is asking. Built once per HTTP request or WebSocket connection (src/auth/authenticate.ts)
 * and carried in the request context, so loaders, mutations and subscription filters check
 * scope in one way (src/auth/authorize.ts).
 */
import type { Role } from '../domain/rows.ts';
import type { Executor } from '../neo4j/executor.ts';

export type { Role };

export interface Viewer {
  /** The authenticated subject: a User id of the company graph, an API token's id, or 'admin'. */
  readonly subject: string;
  /** Server-wide admin: creates projects and is ADMIN in every project. */
  readonly admin: boolean;
  /** Roles per project id. */
  readonly roles: ReadonlyMap<string, Role>;
  readonly credential: Credential;
}

export type Credential =
  | { readonly kind: 'admin-token' }
  | { readonly kind: 'api-token'; readonly tokenId: string; readonly expiresAt: Date | null }
  | { readonly kind: 'jwt'; readonly expiresAt: Date | null };

/** The server-wide admin, as the admin token authenticates. */
export const ADMIN_VIEWER: Viewer = { subject: 'admin', admin: true, roles: new Map(), credential: { kind: 'admin-token' } };

/**
 * What a service needs to act for a viewer: the executor and who is asking. Services take this
 * (plus what else they need, named) rather than the whole request context; a request context
 * satisfies it.
 */
export interface ServiceDeps {
  readonly executor: Executor;
  readonly viewer: Viewer;
}
