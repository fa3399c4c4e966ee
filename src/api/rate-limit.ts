import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../util/sha256.js';
import { withTimeout } from '../util/timeout.js';
import type { ApiDeps } from './context.js';
import { TooManyRequests } from './error-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication: whose budget the request spends (the IP's without credentials). */
    rateLimitKey?: string;
  }
}

/** How long the limiter waits for Redis before letting the request through unlimited. */
const REDIS_WAIT_MS = 1_000;

export type RateLimiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The budget of an API key: its hash (the key itself is never kept, not even in Redis). */
export const apiKeyBudget = (keyHash: string) => `key:${keyHash}`;

/** The budget of a bearer token: its organization and subject, hashed to a fixed length. */
export const jwtBudget = (organizationId: string, subject: string | undefined) => `jwt:${sha256Hex(`${organizationId}\u0000${subject ?? ''}`)}`;

/**
 * Per-credential rate limiting with @fastify/rate-limit and its Redis store, on the API's
 * producer connection, so every API process shares one count per key (fixed windows of
 * RATE_LIMIT_WINDOW_MS, RATE_LIMIT_MAX requests each). Over budget: 429 `{detail}` with
 * `Retry-After`. When Redis fails or does not answer within a second, requests go through
 * unlimited rather than failing: the limiter protects the system, it must not take it down.
 * Returns the check to run once the request's budget (`request.rateLimitKey`) is known.
 */
export async function registerRateLimit(app: FastifyInstance, deps: Pick<ApiDeps, 'config' | 'redis' | 'deps'>): Promise<RateLimiter> {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, QUEUE_PREFIX } = deps.config;
  if (RATE_LIMIT_MAX === 0) return async () => undefined;
  await app.register(rateLimit, {
    global: false,
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    redis: deps.redis,
    nameSpace: `${QUEUE_PREFIX}:rate-limit:`,
    skipOnError: true,
    keyGenerator: (request) => request.rateLimitKey ?? `ip:${normalizeIP(request.ip)}`,
    errorResponseBuilder: (_request, context) => new TooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  const check = app.rateLimit();
  let redisSlow = false;
  return async (request, reply) => {
    try {
      await withTimeout(Promise.resolve(check.call(app, request, reply)), REDIS_WAIT_MS, 'Redis');
      redisSlow = false;
    } catch (error) {
      if (error instanceof TooManyRequests) throw error;
      // Logged once until Redis answers again.
      if (!redisSlow) deps.deps.logger.warn({ err: error }, 'rate limiter: Redis does not answer; requests go through unlimited');
      redisSlow = true;
    }
  };
}
