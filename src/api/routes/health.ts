import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../context.js';
import { withTimeout } from '../../util/timeout.js';
import { json } from '../openapi/responses.js';

const CHECK_TIMEOUT_MS = 2_000;

/** Resolves to "ok", or to the reason the dependency did not answer in time. */
async function check(what: string, probe: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, what);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const Readiness = z.object({ status: z.enum(['ready', 'unavailable']), postgres: z.string(), redis: z.string() });

/** Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators and scrapers. */
export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps, redis }) => {
  const { db, metrics } = deps;
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'The process is up', security: [], response: { 200: json(z.object({ status: z.literal('ok') }), 'Alive.') } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'PostgreSQL and Redis answer',
        security: [],
        response: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'A dependency does not answer.') },
      },
    },
    async (_request, reply) => {
      const [postgres, redisState] = await Promise.all([check('PostgreSQL', () => db.pool.query('SELECT 1')), check('Redis', () => redis.ping())]);
      const ready = postgres === 'ok' && redisState === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis: redisState });
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
