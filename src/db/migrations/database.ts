// Connection helpers shared by the deploy runner and the schema engine driver.
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/campaigns';

/** The database every PostgreSQL server has; we connect to it to create or drop others. */
const MAINTENANCE_DATABASE = 'postgres';

/**
 * A connection target as discrete fields. Everything downstream builds pg configs from these
 * fields, never from a connection string, so that swapping `database` really changes the
 * database (pg lets a `connectionString` override the other fields).
 */
export interface DatabaseTarget {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database: string;
  ssl?: pg.ClientConfig['ssl'];
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must start with postgresql://, got ${parsed.protocol}//`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new Error('DATABASE_URL names no database');
  rejectNonDefaultSchema(parsed.searchParams.get('schema'));
  return {
    // A `host` parameter carries a Unix socket directory, as in libpq URLs.
    host: parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname) || 'localhost'),
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    database,
    ssl: sslFromMode(parsed.searchParams.get('sslmode')),
  };
}

/**
 * Prisma's `?schema=` moves `_prisma_migrations` and every table into another schema; the
 * runners here do not implement that, so refuse rather than migrate the wrong schema.
 */
function rejectNonDefaultSchema(schema: string | null): void {
  if (schema !== null && schema !== 'public') {
    throw new Error(`DATABASE_URL ?schema=${schema} is not supported; use a separate database`);
  }
}

/** libpq semantics: `require` encrypts without verifying, `verify-*` also verifies. */
function sslFromMode(mode: string | null): pg.ClientConfig['ssl'] {
  if (mode === null || ['disable', 'allow', 'prefer'].includes(mode)) return undefined;
  return { rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full' };
}

export function withDatabase(target: DatabaseTarget, database: string): DatabaseTarget {
  return { ...target, database };
}

export function clientConfig(target: DatabaseTarget): pg.ClientConfig {
  const { host, port, user, password, database, ssl } = target;
  return { host, port, user, password, database, ssl };
}

export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(name);
}

/** Runs `work` with a dedicated client and always closes it. */
export async function withClient<T>(
  target: DatabaseTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(clientConfig(target));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The same server's `postgres` database, for work that must not touch the target itself. */
export function maintenanceTarget(target: DatabaseTarget): DatabaseTarget {
  return withDatabase(target, MAINTENANCE_DATABASE);
}

function withMaintenanceClient<T>(
  target: DatabaseTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  return withClient(maintenanceTarget(target), work);
}

export function databaseExists(target: DatabaseTarget): Promise<boolean> {
  return withMaintenanceClient(target, async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      target.database,
    ]);
    return result.rowCount === 1;
  });
}

/** Creates the target database if it is missing; returns whether it created it. */
export async function ensureDatabase(target: DatabaseTarget): Promise<boolean> {
  if (await databaseExists(target)) return false;
  return withMaintenanceClient(target, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(target.database)}`);
      return true;
    } catch (error) {
      // Parallel test workers may race to create the same database: losing the race is fine.
      if (isDuplicateDatabase(error)) return false;
      throw error;
    }
  });
}

export function createDatabase(target: DatabaseTarget): Promise<void> {
  return withMaintenanceClient(target, async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdent(target.database)}`);
  });
}

export function dropDatabase(target: DatabaseTarget): Promise<void> {
  return withMaintenanceClient(target, async (client) => {
    // FORCE (PostgreSQL 13+) ends sessions a caller forgot to close instead of failing.
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(target.database)} WITH (FORCE)`);
  });
}

function isDuplicateDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // 42P04 duplicate_database; 23505 when two CREATE DATABASE collide in pg_database's index.
  return code === '42P04' || code === '23505';
}
