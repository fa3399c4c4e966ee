import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createAuthenticator } from './auth.js';
import type { ApiDeps } from './context.js';
import { registerErrorHandling } from './error-handler.js';
import { registerOpenApi } from './openapi/plugin.js';
import { campaignRoutes } from './routes/campaigns.js';
import { commandRoutes } from './routes/commands.js';
import { contactRoutes } from './routes/contacts.js';
import { eventRoutes } from './routes/events.js';
import { executionRoutesPlugin } from './routes/execution.js';
import { targetRoutes } from './routes/targets.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
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
  registerErrorHandling(app);
  await registerOpenApi(app);

  const authenticate = createAuthenticator(deps.db, deps.config.JWT_SECRET);
  await app.register(async (authenticated) => {
    authenticated.addHook('onRequest', authenticate);
    for (const routes of [campaignRoutes, targetRoutes, eventRoutes, executionRoutesPlugin, commandRoutes, contactRoutes]) {
      await authenticated.register(routes, deps);
    }
  });
  return app;
}
