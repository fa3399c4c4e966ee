import type { LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { Redis } from 'ioredis';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiKey, findOrCreateOrganization } from '../../src/db/repositories/organizations.js';
import { createLogger } from '../../src/logger.js';
import { startSystem, type Role, type System, type SystemOptions } from '../../src/system.js';
import { createTestDatabase, uniqueName } from './databases.js';
import { createTestPrisma } from './prisma.js';
import { deletePrefix } from './redis-keys.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

/** A JSON request through the in-process API, authenticated with one organization's key. */
export type ApiClient = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;

export interface TestOrganization {
  id: string;
  apiKey: string;
  /** Requests as this organization. */
  api: ApiClient;
}

export interface TestSystem {
  system: System;
  config: Config;
  /** Requests as the harness's default organization (`org`). */
  api: ApiClient;
  /** A new organization with its own API key and client, e.g. to check tenant isolation. */
  newOrganization(name?: string): Promise<TestOrganization>;
  bearer(claims: Record<string, unknown>, secret?: string): Promise<string>;
  org: TestOrganization;
  redis: Redis;
  /** The ORM client over the file's database, directly (around any `databaseVia`), to read rows. */
  prisma: PrismaClient;
  close(): Promise<void>;
}

/**
 * A whole system for one test file: its own database (cloned from the migrated template),
 * its own BullMQ prefix, the real API and workers in-process. `databaseVia` rewrites the
 * database's URL the system connects to, e.g. through a test's TCP proxy.
 */
export async function startTestSystem(
  env: Record<string, string> = {},
  role: Role = 'all',
  options: SystemOptions = {},
  { databaseVia = (url: string) => url }: { databaseVia?: (url: string) => string } = {},
): Promise<TestSystem> {
  const database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
  const prefix = uniqueName('test');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseVia(database.url),
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
  const prisma = createTestPrisma(database.url);

  const clientFor =
    (apiKey: string): ApiClient =>
    (method, url, body, headers = {}) =>
      system.app!.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': apiKey, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      });
  const newOrganization = async (name = uniqueName('org')): Promise<TestOrganization> => {
    const organization = await findOrCreateOrganization(system.db.sql, name);
    const { key } = await createApiKey(system.db.sql, organization.id);
    return { id: organization.id, apiKey: key, api: clientFor(key) };
  };
  const org = await newOrganization();

  return {
    system,
    config,
    org,
    redis,
    prisma,
    newOrganization,
    api: org.api,
    bearer: (claims, secret = TEST_JWT_SECRET) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret)),
    close: async () => {
      await system.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await prisma.$disconnect();
      await database.drop();
    },
  };
}
