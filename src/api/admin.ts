import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import basicAuth from '@fastify/basic-auth';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './context.js';

/** Where the Bull Board is served; its UI, static assets and JSON API all live under it. */
export const ADMIN_QUEUES_PATH = '/admin/queues';

/** Sent with every 401 so browsers prompt for the operator's user and password. */
export const ADMIN_CHALLENGE = 'Basic realm="campaign-execution admin"';

class WrongCredentials extends Error {
  constructor() {
    super('wrong admin credentials');
  }
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Compares in constant time: both sides are hashed to the same length first, so neither the
 * length nor the first differing byte of the secret shows in the timing.
 */
function sameSecret(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

export interface AdminDeps {
  config: ApiDeps['config'];
  deps: Pick<ApiDeps['deps'], 'queues' | 'logger'>;
}

/**
 * Bull Board for operators at /admin/queues, behind HTTP basic auth (ADMIN_USER /
 * ADMIN_PASSWORD). Without both variables the board is not mounted at all: queues are never
 * served unauthenticated. Register it outside the API-key scope
 * (it has its own auth); its routes are hidden from the OpenAPI document.
 */
export async function adminPlugin(app: FastifyInstance, { config, deps }: AdminDeps): Promise<void> {
  const { ADMIN_USER: user, ADMIN_PASSWORD: password } = config;
  // Production refuses to start without both (src/config.ts); elsewhere the board is optional.
  if (!user || !password) {
    deps.logger.info(`Bull Board not mounted: set ADMIN_USER and ADMIN_PASSWORD to serve it at ${ADMIN_QUEUES_PATH} behind basic auth`);
    return;
  }

  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  await app.register(basicAuth, {
    // The challenge header is set below, with the exact realm and without basic-auth's charset.
    authenticate: false,
    validate: async (givenUser, givenPassword) => {
      // Both compared every time: no early exit tells which one was wrong.
      const userMatches = sameSecret(givenUser, expectedUser);
      const passwordMatches = sameSecret(givenPassword, expectedPassword);
      if (!(userMatches && passwordMatches)) throw new WrongCredentials();
    },
  });

  // This hook covers every route registered in this scope: the board's page, its JSON API and
  // its static assets (JS, CSS, images under /admin/queues/static/). Browsers resend the
  // credentials they were challenged for to every path under the board, so assets load.
  // Failures are answered here, not thrown: the board installs its own error handler in its
  // scope, which would turn them into its own error shape.
  app.addHook('onRequest', async (request, reply) => {
    const failure = await new Promise<Error | undefined>((resolve) => {
      (app.basicAuth as (this: FastifyInstance, ...args: unknown[]) => void).call(app, request, reply, (err?: Error) => resolve(err));
    });
    if (!failure) return;
    const wrong = failure instanceof WrongCredentials;
    if (wrong) request.log.warn({ url: request.url }, 'Bull Board: wrong admin credentials');
    return reply
      .code(401)
      .header('www-authenticate', ADMIN_CHALLENGE)
      .send({
        detail: wrong ? 'The admin user or password is wrong.' : 'Authentication required: send the admin user and password with HTTP basic auth.',
      });
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
  createBullBoard({
    queues: deps.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Campaign queues' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: ADMIN_QUEUES_PATH });
}
