// Migration CLI standing in for `prisma migrate`, whose native engine cannot be downloaded here.
//
//   tsx scripts/migrate.ts [deploy]         apply pending migrations (creates the database)
//   tsx scripts/migrate.ts dev --name <n>   generate a migration from prisma/schema.prisma and
//                                           apply it
//   tsx scripts/migrate.ts check            fail if the migrations do not produce the schema
//   tsx scripts/migrate.ts status           list applied and pending migrations (exit 1 unless
//                                           up to date, like `prisma migrate status`)
//
// DATABASE_URL defaults to the local development database. MIGRATE_DEBUG=1 shows engine logs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATABASE_URL,
  databaseExists,
  ensureDatabase,
  maintenanceTarget,
  parseDatabaseUrl,
  withClient,
  type DatabaseTarget,
} from '../src/db/migrations/database.js';
import { deployMigrations } from '../src/db/migrations/deploy.js';
import { compareHistory, migrationsTableExists, readMigrationRows, type HistoryComparison, type MigrationRow } from '../src/db/migrations/migration-history.js';
import { LOCKFILE_CONTENT, LOCKFILE_NAME, MIGRATION_FILE, MIGRATIONS_DIR, readLocalMigrations, readLockfile } from '../src/db/migrations/migrations-folder.js';
// Type only: erased at run time, so deploy and status never load the engine.
import type { SchemaEngineSession } from './schema-engine.js';

type Command = (args: string[], databaseUrl: string) => Promise<number>;

const COMMANDS: Record<string, Command> = { deploy, dev, check, status };

async function main(argv: string[]): Promise<number> {
  const [name = 'deploy', ...args] = argv;
  const command = COMMANDS[name];
  if (command === undefined) {
    const known = Object.keys(COMMANDS).join(', ');
    throw new Error(`unknown command "${name}"; expected one of ${known}`);
  }
  return command(args, process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
}

async function deploy(args: string[], databaseUrl: string): Promise<number> {
  parseArgs({ args, options: {} });
  const applied = await deployMigrations(databaseUrl, { log: (line) => console.log(line) });
  const database = parseDatabaseUrl(databaseUrl).database;
  console.log(applied.length === 0 ? `no pending migrations; ${database} is up to date` : `${applied.length} migration(s) applied; ${database} is up to date`);
  return 0;
}

async function dev(args: string[], databaseUrl: string): Promise<number> {
  const name = migrationNameFrom(args);
  const target = parseDatabaseUrl(databaseUrl);
  await ensureDatabase(target);
  const engine = await openEngine(target);
  let created: string | null;
  try {
    created = await generateMigration(engine, name, databaseUrl);
  } finally {
    await engine.close();
  }
  if (created === null) {
    console.log('prisma/schema.prisma matches the migrations; no migration created');
    return 0;
  }
  console.log(`created prisma/migrations/${created}/${MIGRATION_FILE}`);
  await deploy([], databaseUrl);
  return 0;
}

/** Prisma's `migrate dev` sequence; returns the new folder's name, or null if none was needed. */
async function generateMigration(engine: SchemaEngineSession, name: string, databaseUrl: string): Promise<string | null> {
  await assertNoDrift(engine);
  // The main database must hold every existing migration before the next one is applied.
  const deployed = await deployMigrations(databaseUrl, { log: (line) => console.log(line) });
  // createMigration reads the migrations' end state that devDiagnostic caches, but devDiagnostic
  // skips computing it while the database is behind: diagnose again once it has caught up.
  if (deployed.length > 0) await assertNoDrift(engine);
  const output = await engine.createMigration(name);
  if (output.migrationScript === null) return null;
  const folder = join(MIGRATIONS_DIR, output.generatedMigrationName);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, MIGRATION_FILE), output.migrationScript);
  await ensureLockfile();
  return output.generatedMigrationName;
}

/** Loaded on demand so that deploy and status never instantiate the wasm engine. */
async function openEngine(target: DatabaseTarget): Promise<SchemaEngineSession> {
  const { SchemaEngineSession: Session } = await import('./schema-engine.js');
  return Session.open(target);
}

/** Refuses when the database differs from what its applied migrations produce. */
async function assertNoDrift(engine: SchemaEngineSession): Promise<void> {
  const action = await engine.devDiagnostic();
  if (action.tag === 'reset') {
    throw new Error(`the database must be reset before a migration is created: ${action.reason}`);
  }
}

/** `--name`, slugged as Prisma's CLI does (lower case, `_` between words). */
function migrationNameFrom(args: string[]): string {
  const { values } = parseArgs({ args, options: { name: { type: 'string', short: 'n' } } });
  const slug = (values.name ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (slug === '') throw new Error('dev needs --name <name> (letters, digits, underscores)');
  return slug;
}

async function ensureLockfile(): Promise<void> {
  if ((await readLockfile()) === null) {
    await writeFile(join(MIGRATIONS_DIR, LOCKFILE_NAME), LOCKFILE_CONTENT);
  }
}

async function check(args: string[], databaseUrl: string): Promise<number> {
  parseArgs({ args, options: {} });
  // The diff replays migrations on a shadow database and never reads the target database, but
  // the engine insists on connecting to one: give it the maintenance database, so that the
  // target need not exist and is certainly left alone.
  const engine = await openEngine(maintenanceTarget(parseDatabaseUrl(databaseUrl)));
  try {
    const result = await engine.diffMigrationsToSchema();
    if (result.exitCode === 0) {
      console.log('migrations match schema');
      return 0;
    }
    console.log(result.stdout ?? '');
    console.error('migrations do not produce prisma/schema.prisma (missing SQL above): run dev');
    return 1;
  } finally {
    await engine.close();
  }
}

async function status(args: string[], databaseUrl: string): Promise<number> {
  parseArgs({ args, options: {} });
  const target = parseDatabaseUrl(databaseUrl);
  const local = await readLocalMigrations();
  const history = compareHistory(local, await readRowsIfAny(target));
  printStatus(target.database, history);
  const problems = history.pending.length + history.failed.length + history.edited.length;
  return problems === 0 ? 0 : 1;
}

async function readRowsIfAny(target: DatabaseTarget): Promise<MigrationRow[]> {
  if (!(await databaseExists(target))) return [];
  return withClient(target, async (client) => ((await migrationsTableExists(client)) ? readMigrationRows(client) : []));
}

function printStatus(database: string, history: HistoryComparison): void {
  for (const row of history.applied) {
    const finished = row.finishedAt?.toISOString() ?? '';
    const suffix = history.edited.includes(row.migrationName) ? '  EDITED since applied' : '';
    console.log(`applied  ${row.migrationName}  ${finished}${suffix}`);
  }
  for (const row of history.failed) {
    console.log(`FAILED   ${row.migrationName}  started ${row.startedAt.toISOString()}`);
  }
  for (const migration of history.pending) console.log(`pending  ${migration.name}`);
  for (const name of history.missingLocally) {
    console.log(`note: ${name} is applied but has no folder here`);
  }
  console.log(
    `${database}: ${history.applied.length} applied, ${history.pending.length} pending, ` + `${history.failed.length} failed, ${history.edited.length} edited`,
  );
}

/** Errors become one line; pg's connection errors may be an AggregateError with no message. */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    return describeError(error.errors[0]);
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return oneLine(error.message || String(code ?? error.name));
  }
  return oneLine(String(error));
}

/** Also drops the Rust span trace the engine appends ("0: some_crate::... at file.rs:12"). */
function oneLine(text: string): string {
  return text
    .replace(/\s+0: [a-z_]+::[\s\S]*$/, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

// The engine and pg pools keep handles open, so the process would not end by itself (pitfall 4).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`migrate: ${describeError(error)}`);
    process.exit(1);
  },
);
