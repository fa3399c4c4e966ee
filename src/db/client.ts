import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';

export type Db = PrismaClient;
/** What repositories accept: the client itself or an open transaction. */
export type DbClient = PrismaClient | Prisma.TransactionClient;

export function createDb(databaseUrl: string, logger: Logger): Db {
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5_000 },
    { onPoolError: (error) => logger.warn({ err: error }, 'postgres pool error') },
  );
  return new PrismaClient({ adapter });
}
