/**
 * Who is asking. Built once per HTTP request or WebSocket connection and carried in the
 * request context, so every resolver, loader and subscription filter can check scope.
 */
export type Role = 'VIEWER' | 'WRITER' | 'ADMIN';

export interface Viewer {
  /** The authenticated subject (a User id in the company graph), or null when anonymous. */
  readonly subject: string | null;
  /** Server-wide admin: creates projects and is ADMIN in every project. */
  readonly admin: boolean;
  readonly roles: ReadonlyMap<string, Role>;
}

/**
 * Authentication is not enforced yet (the security issue adds API tokens and JWTs here):
 * until then every caller is an anonymous admin, and `createdBy` is null.
 */
export function authenticate(_authorization: string | undefined): Viewer {
  return { subject: null, admin: true, roles: new Map() };
}
