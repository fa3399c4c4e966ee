import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';

/**
 * The ORM client over a test's database: tests read (and set up) rows through it where that
 * takes less code than SQL. The system itself never uses it (its repositories take a `Db`).
 */
export function createTestPrisma(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });
}
