import type { LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiKey, findOrCreateOrganization } from '../../src/db/repositories/organizations.js';
import { createLogger } from '../../src/logger.js';
import { startSystem, type Role, type System, type SystemOptions } from '../../src/system.js';
import { createTestDatabase, uniqueName } from './databases.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestSystem {
  system: System;
  config: Config;
  /** Authenticated JSON request as the harness's default organization. */
  api(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** A new organization with its own API key. */
  newOrganization(name?: string): Promise<{ id: string; apiKey: string }>;
  bearer(claims: Record<string, unknown>, secret?: string): Promise<string>;
  org: { id: string; apiKey: string };
  redis: Redis;
  close(): Promise<void>;
}

/**
 * A whole system for one test file: its own database (cloned from the migrated template),
 * its own BullMQ prefix, the real API and workers in-process.
 */
export async function startTestSystem(env: Record<string, string> = {}, role: Role = 'all', options: SystemOptions = {}): Promise<TestSystem> {
  const database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
  const prefix = uniqueName('test');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: prefix,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const system = await startSystem(config, role, { logger: createLogger(config.LOG_LEVEL), ...options });
  await system.app?.ready();
  const redis = new Redis(config.REDIS_URL);
  redis.on('error', () => undefined); // the system's own connections log outages

  const newOrganization = async (name = uniqueName('org')) => {
    const organization = await findOrCreateOrganization(system.db.prisma, name);
    const { key } = await createApiKey(system.db.prisma, organization.id);
    return { id: organization.id, apiKey: key };
  };
  const org = await newOrganization();

  return {
    system,
    config,
    org,
    redis,
    newOrganization,
    api: (method, url, body, headers = {}) =>
      system.app!.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': org.apiKey, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    bearer: (claims, secret = TEST_JWT_SECRET) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret)),
    close: async () => {
      await system.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await database.drop();
    },
  };
}

export const campaignInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring renewals',
  agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10',
  ...overrides,
});

/**
 * A draft campaign with one callable target. Without a target a started campaign has no work
 * and completes by itself (PRODUCT.md), which lifecycle tests must not race with.
 */
export async function campaignWithTarget(t: TestSystem, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await t.api('POST', '/campaigns', campaignInput(overrides));
  if (created.statusCode !== 201) throw new Error(`campaign not created: ${created.body}`);
  const id = created.json().id as string;
  const added = await t.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550199', name: 'Pat' }]);
  if (added.json().inserted !== 1) throw new Error(`target not added: ${added.body}`);
  return id;
}
