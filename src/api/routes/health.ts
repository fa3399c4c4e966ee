import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DependencyMonitor } from '../../dependencies.js';
import type { Dependency } from '../../domain/errors.js';
import { TimeoutError, withTimeout } from '../../util/timeout.js';
import type { ApiDeps } from '../context.js';
import { json } from '../openapi/responses.js';

/** Both checks run at once: /readyz answers within about a second, under the probes' usual 2 s. */
const CHECK_TIMEOUT_MS = 1_000;

const DependencyState = z.enum(['ok', 'unavailable', 'timeout']);
type DependencyState = z.output<typeof DependencyState>;

/**
 * "ok", "timeout" (no answer within 1 s) or "unavailable" (an error). The answer names the
 * dependency only: hosts, ports and driver errors go to the log, never to the caller.
 */
async function check(what: Dependency, probe: () => Promise<unknown>, logger: FastifyBaseLogger, monitor: DependencyMonitor): Promise<DependencyState> {
  try {
    await withTimeout(probe(), CHECK_TIMEOUT_MS, what);
    return 'ok';
  } catch (error) {
    // A suspended Redis sends no error on any connection: a check that gets no answer tells
    // the monitor (PostgreSQL's statements and pool report its outages themselves).
    if (what === 'redis') monitor.down(what, error);
    if (error instanceof TimeoutError) {
      logger.warn({ dependency: what }, 'readiness: no answer within the timeout');
      return 'timeout';
    }
    logger.warn({ dependency: what, err: error }, 'readiness: dependency unavailable');
    return 'unavailable';
  }
}

const Readiness = z.object({ status: z.enum(['ready', 'unavailable']), postgres: DependencyState, redis: DependencyState });

/** Liveness, readiness and Prometheus metrics: unauthenticated, for orchestrators and scrapers. */
export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { deps, redis, monitor }) => {
  const { db, metrics } = deps;
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The process is up',
        operationId: 'get_health',
        security: [],
        response: { 200: json(z.object({ status: z.literal('ok') }), 'Alive.') },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'PostgreSQL and Redis answer',
        operationId: 'get_readiness',
        security: [],
        response: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'A dependency does not answer.') },
      },
    },
    async (request, reply) => {
      const [postgres, redisState] = await Promise.all([
        check('postgres', () => db.pool.query('SELECT 1'), request.log, monitor),
        check('redis', () => redis.ping(), request.log, monitor),
      ]);
      const ready = postgres === 'ok' && redisState === 'ok';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', postgres, redis: redisState });
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.scrape()));
};
