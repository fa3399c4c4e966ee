import pg from 'pg';
import { inject } from 'vitest';
import { createApiKey, findOrCreateOrganization } from '../../src/db/repositories/organizations.js';
import { poolDb } from '../../src/db/sql.js';
import { createTestDatabase, uniqueName } from './databases.js';
import { deletePrefixAt } from './redis-keys.js';

/**
 * What a test that runs the system in child processes owns: its database (cloned from the
 * migrated template), a BullMQ prefix, an organization with an API key, and a direct connection
 * to the database (around any proxy) to check rows.
 */
export async function createProcessFixture(options: { redisUrl?: string; hashTaggedPrefix?: boolean } = {}) {
  const database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  const db = poolDb(pool);
  const organization = await findOrCreateOrganization(db, uniqueName('org'));
  const { key } = await createApiKey(db, organization.id);
  const redisUrl = options.redisUrl ?? inject('redisUrl');
  // A hash tag in braces, as on Redis Cluster, works on a single Redis the same way.
  const prefix = options.hashTaggedPrefix ? `{${uniqueName('fault')}}` : uniqueName('fault');
  return {
    databaseUrl: database.url,
    redisUrl,
    prefix,
    apiKey: key,
    organizationId: organization.id,
    /** A connection of the test's own, for a transaction (release it). */
    connect: () => pool.connect(),
    /** A statement on the test's own connection (not through the system or a proxy). */
    query: async <Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await pool.query<Row>(text, values)).rows,
    close: async () => {
      await pool.end();
      await deletePrefixAt(redisUrl, prefix);
      await database.drop();
    },
  };
}

export type ProcessFixture = Awaited<ReturnType<typeof createProcessFixture>>;
