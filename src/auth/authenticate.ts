/**
 * Authentication (docs/security.md): `Authorization: Bearer <credential>` over HTTP, the same
 * string in the graphql-ws `connection_init` payload (`{ "authorization": "Bearer ..." }`).
 * A credential is one of:
 * - the server-wide admin token (PEDIGREE_ADMIN_TOKEN), compared in constant time;
 * - an API token (`pdg_...`), looked up by its sha256 (only the hash is stored), with one
 *   project, one role, an optional expiry and revocation;
 * - a JWT verified with `jose` against an HS256 secret or a JWKS URL, whose `sub` is the
 *   subject and whose roles claim maps project ids to roles (`alg: none` and algorithms
 *   other than the configured kind are rejected).
 * Anything else is UNAUTHENTICATED, with one message for every failure (nothing to probe).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.ts';
import { unauthenticated } from '../domain/errors.ts';
import type { Role } from '../domain/rows.ts';
import type { Executor } from '../neo4j/executor.ts';
import { tokenByHash, tokenById } from '../neo4j/queries/tokens.ts';
import { ADMIN_VIEWER, type Viewer } from './viewer.ts';

export const API_TOKEN_PREFIX = 'pdg_';
const ROLES: readonly Role[] = ['VIEWER', 'WRITER', 'ADMIN'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export interface Authenticator {
  /** The viewer for an Authorization header value; UNAUTHENTICATED when it is missing or invalid. */
  authenticate(authorization: string | undefined): Promise<Viewer>;
  /** Whether a viewer authenticated earlier still holds (not expired, not revoked). */
  stillValid(viewer: Viewer): Promise<boolean>;
}

/** A new API token secret: 32 random bytes, base64url, with a recognisable prefix. */
export function newTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Subjects of all credential kinds share one namespace (actors in the audit log, `createdBy`):
 * the admin token is 'admin', an API token its `tok_...` id. A JWT subject that could be
 * mistaken for one of those (or for an escaped subject) is prefixed with 'jwt:'; every other
 * JWT subject is kept as it is (it names a User of the company graph).
 */
export function jwtSubject(sub: string): string {
  return sub === 'admin' || sub.startsWith('tok_') || sub.startsWith('jwt:') ? `jwt:${sub}` : sub;
}

export function createAuthenticator(config: AuthConfig, executor: Executor): Authenticator {
  const adminHash = config.adminToken === undefined ? null : createHash('sha256').update(config.adminToken).digest();
  const jwtKey: { key: Uint8Array | JWTVerifyGetKey; algorithms: string[] } | null = config.jwt.secret
    ? { key: new TextEncoder().encode(config.jwt.secret), algorithms: ['HS256'] }
    : config.jwt.jwksUrl
      ? { key: createRemoteJWKSet(new URL(config.jwt.jwksUrl)), algorithms: ASYMMETRIC }
      : null;

  async function fromJwt(token: string): Promise<Viewer> {
    if (!jwtKey) throw unauthenticated();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwtKey.key as Uint8Array, {
        algorithms: jwtKey.algorithms,
        ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
        ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
        requiredClaims: ['sub', 'exp'],
      }));
    } catch {
      throw unauthenticated();
    }
    const roles = new Map<string, Role>();
    const claimed = payload[config.jwt.rolesClaim];
    if (claimed !== undefined && (typeof claimed !== 'object' || claimed === null || Array.isArray(claimed))) throw unauthenticated();
    for (const [projectId, role] of Object.entries((claimed ?? {}) as Record<string, unknown>)) {
      if (typeof role === 'string' && (ROLES as readonly string[]).includes(role)) roles.set(projectId, role as Role);
    }
    return {
      subject: jwtSubject(payload.sub!),
      admin: payload[config.jwt.adminClaim] === true,
      roles,
      credential: { kind: 'jwt', expiresAt: payload.exp === undefined ? null : new Date(payload.exp * 1000) },
    };
  }

  async function fromApiToken(secret: string): Promise<Viewer> {
    const row = await executor.readOne('auth.token', (tx) => tokenByHash(tx, tokenHash(secret)));
    if (!row || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now())) throw unauthenticated();
    return {
      subject: row.id,
      admin: false,
      roles: new Map([[row.projectId, row.role]]),
      credential: { kind: 'api-token', tokenId: row.id, expiresAt: row.expiresAt },
    };
  }

  return {
    async authenticate(authorization) {
      const match = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(authorization ?? '');
      if (!match) throw unauthenticated();
      const credential = match[1]!;
      if (adminHash !== null && timingSafeEqual(createHash('sha256').update(credential).digest(), adminHash)) {
        return ADMIN_VIEWER;
      }
      if (credential.startsWith(API_TOKEN_PREFIX)) return fromApiToken(credential);
      if (credential.split('.').length === 3) return fromJwt(credential);
      throw unauthenticated();
    },
    async stillValid(viewer) {
      const { credential } = viewer;
      if (credential.kind === 'admin-token') return true;
      if (credential.expiresAt !== null && credential.expiresAt.getTime() <= Date.now()) return false;
      if (credential.kind === 'jwt') return true;
      const row = await executor.readOne('auth.recheck', (tx) => tokenById(tx, credential.tokenId));
      return row !== null && row.revokedAt === null;
    },
  };
}
