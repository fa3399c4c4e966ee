import { ConfigError, loadDatabaseConfig } from './config.js';
import { deployMigrations } from './db/migrations/deploy.js';

/**
 * Production entry point of `migrate deploy` (compiled into dist/, no dev dependencies):
 * applies pending migrations to DATABASE_DIRECT_URL when set (DATABASE_URL goes through a
 * transaction pooler), else to DATABASE_URL, creating the database if needed.
 */
async function main(): Promise<void> {
  const config = loadDatabaseConfig();
  await deployMigrations(config.DATABASE_DIRECT_URL ?? config.DATABASE_URL, { log: (line) => console.error(line) });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `migrate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
