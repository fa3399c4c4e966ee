// Deploy-only migration runner: what `prisma migrate deploy` does, without Prisma's schema
// engine (which cannot be downloaded here). Databases it migrates stay compatible with the
// real Prisma CLI: same folders, same advisory lock, same `_prisma_migrations` rows.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ensureDatabase, parseDatabaseUrl, withClient } from './database.js';
import {
  compareHistory,
  ensureMigrationsTable,
  readMigrationRows,
  type HistoryComparison,
} from './migration-history.js';
import { MIGRATIONS_DIR, readLocalMigrations, type LocalMigration } from './migrations-folder.js';

/** The key Prisma's engine locks, so our runner and Prisma's never migrate concurrently. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;
/** Prisma gives up on the lock after 10 s as well. */
const LOCK_TIMEOUT = '10s';

export interface DeployOptions {
  /** Receives one line per applied migration. Silent by default (the test suite calls this). */
  log?: (line: string) => void;
  /** Defaults to prisma/migrations of this project. */
  migrationsDir?: string;
}

/**
 * Applies the pending migrations of the migrations folder to `databaseUrl`, creating the
 * database first if it does not exist. Returns the names of the migrations it applied.
 */
export async function deployMigrations(
  databaseUrl: string,
  options: DeployOptions = {},
): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const target = parseDatabaseUrl(databaseUrl);
  const local = await readLocalMigrations(options.migrationsDir ?? MIGRATIONS_DIR);
  await ensureDatabase(target);
  return withClient(target, (client) =>
    withAdvisoryLock(client, () => applyPending(client, local, log)),
  );
}

async function withAdvisoryLock<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
  await acquireAdvisoryLock(client);
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  }
}

async function acquireAdvisoryLock(client: pg.Client): Promise<void> {
  // lock_timeout also bounds advisory lock waits; reset it so migrations run without one.
  await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  } catch (error) {
    if ((error as { code?: unknown }).code === '55P03') {
      throw new Error(
        `another migration holds advisory lock ${PRISMA_ADVISORY_LOCK_KEY} ` +
          `(waited ${LOCK_TIMEOUT})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

async function applyPending(
  client: pg.Client,
  local: LocalMigration[],
  log: (line: string) => void,
): Promise<string[]> {
  // Read the history only once we hold the lock: a concurrent deploy may just have finished.
  await ensureMigrationsTable(client);
  const history = compareHistory(local, await readMigrationRows(client));
  assertDeployable(history);
  const applied: string[] = [];
  for (const migration of history.pending) {
    await applyMigration(client, migration);
    log(`applied ${migration.name}`);
    applied.push(migration.name);
  }
  return applied;
}

/** Refuses what `prisma migrate deploy` refuses, plus edited migrations. */
function assertDeployable(history: HistoryComparison): void {
  const failed = history.failed.map((row) => row.migrationName);
  if (failed.length > 0) {
    throw new Error(
      `migration ${failed.join(', ')} failed in an earlier run and is recorded as such in ` +
        '_prisma_migrations; fix the database, then mark it rolled back (set rolled_back_at) ' +
        'or applied (`prisma migrate resolve`) before deploying',
    );
  }
  if (history.edited.length > 0) {
    throw new Error(
      `migration ${history.edited.join(', ')} was edited after it was applied ` +
        '(checksum differs from _prisma_migrations); restore the original migration.sql',
    );
  }
}

/**
 * Applies one migration and records it, all in one transaction: on failure nothing is left
 * behind, neither half-applied DDL nor a failed row that would block later deploys (Prisma
 * records a failed row because its scripts are not always transactional; ours always are).
 */
async function applyMigration(client: pg.Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    // started_at takes its default, now(), as in Prisma's own insert.
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3)',
      [id, migration.checksum, migration.name],
    );
    // No parameters: pg sends the file with the simple query protocol, which runs many statements.
    await client.query(migration.sql);
    // clock_timestamp(), not now(): inside one transaction now() would equal started_at.
    await client.query(
      `UPDATE _prisma_migrations
          SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
        WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`migration ${migration.name} failed and was rolled back: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
