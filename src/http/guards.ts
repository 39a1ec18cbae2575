/**
 * Request guards in front of GraphQL on both transports: the router secret (checked before
 * anything is parsed) and the per-credential rate limit.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AuthConfig, Limits } from '../config.ts';
import { rateLimited } from '../errors.ts';

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
