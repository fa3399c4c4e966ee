import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { Unauthorized } from '../domain/errors.js';
import { createCredentialResolver } from '../services/credentials.js';
import { ADMIN_QUEUES_PATH, adminPlugin } from './admin.js';
import { createAuthenticator } from './auth.js';
import type { ApiDeps } from './context.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandling, registerHttpRuleErrors } from './error-handler.js';
import { configureInputLimits } from './limits.js';
import { trackRoutes } from './method-not-allowed.js';
import { parseQueryString } from './query-string.js';
import { registerOpenApi } from './openapi/plugin.js';
import { registerRateLimit } from './rate-limit.js';
import { campaignRoutes } from './routes/campaigns.js';
import { commandRoutes } from './routes/commands.js';
import { campaignReportRoutes } from './routes/campaign-reports.js';
import { dialerRoutes } from './routes/dialer.js';
import { contactPolicyRoutes } from './routes/contact-policy.js';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.js';
import { doNotContactRoutes } from './routes/do-not-contact.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { executionRoutesPlugin } from './routes/execution.js';
import { targetEventRoutes } from './routes/target-events.js';
import { targetRoutes } from './routes/targets.js';
import { validatorCompiler } from './validation.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Routes that orchestrators, scrapers and operators use: never rate limited. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
const isExempt = (url: string | undefined) => url !== undefined && (EXEMPT.has(url) || url.startsWith(ADMIN_QUEUES_PATH));

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  configureInputLimits(deps.config);
  const app = Fastify({
    loggerInstance: deps.deps.logger as FastifyBaseLogger,
    requestIdHeader: false,
    // One line per request, written below at a level that follows its status: dialers report
    // thousands of outcomes a second, and two info lines each cost a quarter of the API's CPU.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    // A caller's X-Request-Id is kept when it is sane, so logs correlate across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Errors raised before routing and by Node's HTTP parser answer `{detail}` too.
    frameworkErrors,
    clientErrorHandler,
    routerOptions: { querystringParser: parseQueryString },
    // A missing Host is answered by registerHttpRuleErrors, in the {detail} shape.
    http: { requireHostHeader: false },
  });
  const allowed = trackRoutes(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON (plus CSV and NDJSON where a route adds them): anything else answers 415.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerHttpRuleErrors(app);
  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });
  registerErrorHandling(app, allowed, deps.monitor);

  // Authenticated routes spend their caller's budget once the caller is known; every other
  // route but the exempt ones (and unknown paths) spends the IP's.
  const limit = await registerRateLimit(app, deps);
  const authenticatedRoutes = new Set<string>();
  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (isExempt(url) || (url !== undefined && authenticatedRoutes.has(url))) return;
    await limit(request, reply);
  });

  await registerOpenApi(app);
  // Bull Board for operators: its own basic auth, outside the API-key scope, hidden from OpenAPI.
  await app.register(adminPlugin, deps);
  await app.register(healthRoutes, deps);

  const authenticate = createAuthenticator(createCredentialResolver(deps.deps), {
    secret: deps.config.JWT_SECRET,
    maxAgeSeconds: deps.config.JWT_MAX_AGE_SECONDS,
  });
  await app.register(async (authenticated) => {
    authenticated.addHook('onRoute', (route) => {
      authenticatedRoutes.add(route.url);
    });
    authenticated.addHook('onRequest', async (request, reply) => {
      try {
        await authenticate(request);
      } catch (error) {
        // A failed authentication spends the IP's budget: guessing keys is rate limited too.
        if (error instanceof Unauthorized) await limit(request, reply);
        throw error;
      }
      await limit(request, reply);
    });
    for (const routes of [
      campaignRoutes,
      targetRoutes,
      targetEventRoutes,
      eventRoutes,
      campaignReportRoutes,
      executionRoutesPlugin,
      commandRoutes,
      dialerRoutes,
      doNotContactRoutes,
      contactPolicyRoutes,
      webhookEndpointRoutes,
    ]) {
      await authenticated.register(routes, deps);
    }
  });
  return app;
}
