/**
 * Request guards in front of GraphQL on both transports: the router secret (checked before
 * anything is parsed) and the per-credential rate limit.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthConfig, Limits } from '../config.ts';
import { rateLimited } from '../domain/errors.ts';

/** True when no router secret is configured, or the request carries the right one. */
export function fromRouter(config: AuthConfig, headers: IncomingHttpHeaders): boolean {
  if (config.routerSecret === undefined) return true;
  const sent = headers[config.routerSecretHeader];
  if (typeof sent !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(sent), digest(config.routerSecret));
}

export interface RateLimiter {
  /** Counts one request of the credential; RATE_LIMITED (with retryAfter seconds) over the limit. */
  consume(subject: string): Promise<void>;
}

export function createRateLimiter(limits: Limits): RateLimiter {
  if (limits.ratePerSecond === 0) return { consume: async () => {} };
  const limiter = new RateLimiterMemory({ points: limits.ratePerSecond, duration: 1 });
  return {
    async consume(subject) {
      try {
        await limiter.consume(subject);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
        throw error;
      }
    },
  };
}

export interface AuthFailureLimiter {
  /** RATE_LIMITED (with retryAfter seconds) while the address has failed too often; checked before authenticating. */
  check(address: string): Promise<void>;
  /** Counts one failed authentication of the address. */
  failed(address: string): Promise<void>;
}

/**
 * Failed authentications per client address per minute: an unknown API token costs a database
 * lookup, so guessing is throttled where it comes from. Over the limit, every authentication
 * from the address is refused (without a lookup) until the minute has passed.
 */
export function createAuthFailureLimiter(limits: Limits): AuthFailureLimiter {
  const points = limits.authFailuresPerMinute;
  if (points === 0) return { check: async () => {}, failed: async () => {} };
  const limiter = new RateLimiterMemory({ points, duration: 60 });
  return {
    async check(address) {
      const state = await limiter.get(address);
      if (state && state.consumedPoints >= points) throw rateLimited(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
    },
    async failed(address) {
      await limiter.consume(address).catch((error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      });
    },
  };
}

/**
 * The client address of a request: the socket's peer, or, when a router secret proves the
 * request came through the router, the first address of its X-Forwarded-For (else every
 * client's failures would count against the router).
 */
export function clientAddress(config: AuthConfig, headers: IncomingHttpHeaders, peer: string | undefined): string {
  const forwarded = headers['x-forwarded-for'];
  if (config.routerSecret !== undefined && typeof forwarded === 'string' && forwarded.trim() !== '') return forwarded.split(',')[0]!.trim();
  return peer ?? 'unknown';
}
