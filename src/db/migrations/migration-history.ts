// Prisma's bookkeeping table `_prisma_migrations`, read and compared with the migrations folder.
import type pg from 'pg';
import type { LocalMigration } from './migrations-folder.js';

/**
 * Byte for byte the table Prisma's schema engine creates on PostgreSQL, so that the real
 * Prisma CLI accepts databases migrated by our runner and vice versa.
 */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export interface MigrationRow {
  id: string;
  checksum: string;
  migrationName: string;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
  logs: string | null;
}

export interface HistoryComparison {
  applied: MigrationRow[];
  pending: LocalMigration[];
  /** Rows Prisma considers failed: started, never finished, not marked rolled back. */
  failed: MigrationRow[];
  /** Applied migrations whose migration.sql changed since. */
  edited: string[];
  /** Applied migrations that have no folder here (e.g. the database is ahead of this code). */
  missingLocally: string[];
}

export async function migrationsTableExists(client: pg.Client): Promise<boolean> {
  // to_regclass follows search_path, as Prisma's own lookup of the table does.
  const result = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
  );
  return result.rows[0]?.exists === true;
}

export async function ensureMigrationsTable(client: pg.Client): Promise<void> {
  if (!(await migrationsTableExists(client))) await client.query(CREATE_MIGRATIONS_TABLE);
}

export async function readMigrationRows(client: pg.Client): Promise<MigrationRow[]> {
  const result = await client.query<MigrationRow>(
    `SELECT id, checksum, migration_name AS "migrationName", started_at AS "startedAt",
            finished_at AS "finishedAt", rolled_back_at AS "rolledBackAt", logs
       FROM _prisma_migrations
      ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

/** The same rules Prisma applies: rolled-back rows are ignored, unfinished ones are failed. */
export function compareHistory(local: LocalMigration[], rows: MigrationRow[]): HistoryComparison {
  const live = rows.filter((row) => row.rolledBackAt === null);
  const applied = live.filter((row) => row.finishedAt !== null);
  const failed = live.filter((row) => row.finishedAt === null);
  const recorded = new Set(live.map((row) => row.migrationName));
  const localByName = new Map(local.map((migration) => [migration.name, migration]));
  return {
    applied,
    pending: local.filter((migration) => !recorded.has(migration.name)),
    failed,
    edited: applied
      .filter((row) => {
        const file = localByName.get(row.migrationName);
        return file !== undefined && file.checksum !== row.checksum;
      })
      .map((row) => row.migrationName),
    missingLocally: applied
      .filter((row) => !localByName.has(row.migrationName))
      .map((row) => row.migrationName),
  };
}
