import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { adminPlugin } from './admin.js';
import { createCredentialResolver } from '../services/credentials.js';
import { createAuthenticator } from './auth.js';
import type { ApiDeps } from './context.js';
import { registerErrorHandling } from './error-handler.js';
import { registerOpenApi } from './openapi/plugin.js';
import { campaignRoutes } from './routes/campaigns.js';
import { commandRoutes } from './routes/commands.js';
import { campaignReportRoutes } from './routes/campaign-reports.js';
import { dialerRoutes } from './routes/dialer.js';
import { doNotContactRoutes } from './routes/do-not-contact.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { executionRoutesPlugin } from './routes/execution.js';
import { targetEventRoutes } from './routes/target-events.js';
import { targetRoutes } from './routes/targets.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.deps.logger as FastifyBaseLogger,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    // One line per request, written below at a level that follows its status: dialers report
    // thousands of outcomes a second, and two info lines each cost a quarter of the API's CPU.
    disableRequestLogging: true,
    // A caller's X-Request-Id is kept when it is sane, so logs correlate across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });
  registerErrorHandling(app, deps.monitor);
  await registerOpenApi(app);
  // Bull Board for operators: its own basic auth, outside the API-key scope, hidden from OpenAPI.
  await app.register(adminPlugin, deps);
  await app.register(healthRoutes, deps);

  const authenticate = createAuthenticator(createCredentialResolver(deps.deps), deps.config.JWT_SECRET);
  await app.register(async (authenticated) => {
    authenticated.addHook('onRequest', authenticate);
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
    ]) {
      await authenticated.register(routes, deps);
    }
  });
  return app;
}
