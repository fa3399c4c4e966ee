import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { deployMigrations } from '../../src/db/migrations/deploy.js';
import { ensureChromium } from './chromium.js';
import { adminQuery, withDatabase } from './databases.js';
import { processesLeftBy } from './processes.js';
import { resolveServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseServerUrl: string;
    templateDatabase: string;
    redisUrl: string;
    /** Marks the processes this run starts (test/support/processes.ts). */
    testRunId: string;
  }
}

/** The template's name follows the migrations, so a changed migration gets a fresh template. */
function templateName(): string {
  const dir = 'prisma/migrations';
  const hash = createHash('sha256');
  for (const entry of readdirSync(dir).sort()) {
    if (entry.endsWith('.toml')) continue;
    hash.update(entry).update(readFileSync(join(dir, entry, 'migration.sql')));
  }
  return `cetest_template_${hash.digest('hex').slice(0, 12)}`;
}

/**
 * Test runs of other checkouts on the same server set up one at a time: one run's clean-up of the
 * template's connections would otherwise end another run's migration connection mid-deploy.
 */
async function withTemplateLock(serverUrl: string, work: () => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('campaign-execution test template'))`);
    await work();
  } finally {
    await client.end();
  }
}

/** A template unused for this long belongs to a migration set nobody tests any more. */
const STALE_TEMPLATE_MS = 24 * 3600_000;

/**
 * Templates of earlier migration sets are dead weight, but another checkout (a branch with other
 * migrations) may be testing with its own right now: each run stamps its template with the time
 * (the database's comment), and only templates unused for a day are dropped.
 */
async function dropStaleTemplates(serverUrl: string, current: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    await client.query(`COMMENT ON DATABASE "${current}" IS '${Date.now()}'`);
    const { rows } = await client.query<{ datname: string; used: string | null }>(
      `SELECT datname, shobj_description(oid, 'pg_database') AS used FROM pg_database WHERE datname LIKE 'cetest_template_%' AND datname <> $1`,
      [current],
    );
    for (const { datname, used } of rows) {
      if (Date.now() - Number(used ?? 0) < STALE_TEMPLATE_MS) continue;
      await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch((error: unknown) => {
        console.error(`could not drop stale test template ${datname}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject) {
  // Before anything is started, so a machine that cannot get the browser fails with nothing to undo.
  await ensureChromium();
  const services = await resolveServices();
  const template = templateName();
  await withTemplateLock(services.databaseUrl, async () => {
    // Migrating an existing template again is a no-op; a half-made one (crash) is finished here.
    await deployMigrations(withDatabase(services.databaseUrl, template));
    // Connections left open on the template would make CREATE DATABASE ... TEMPLATE fail.
    await adminQuery(services.databaseUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${template}' AND pid <> pg_backend_pid()`);
    await dropStaleTemplates(services.databaseUrl, template);
  });
  project.provide('databaseServerUrl', services.databaseUrl);
  project.provide('templateDatabase', template);
  project.provide('redisUrl', services.redisUrl);
  const runId = randomBytes(8).toString('hex');
  project.provide('testRunId', runId);
  return async () => {
    await services.stop();
    assertNoProcessLeft(runId);
  };
}

/**
 * The run's last check: every process a test started (redis-server, system processes) must be
 * gone. Leftovers are killed, and the run fails naming them.
 */
function assertNoProcessLeft(runId: string): void {
  const left = processesLeftBy(runId);
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  if (left.length > 0) {
    // Vitest reports a teardown error without failing the run: the exit code says it.
    process.exitCode = 1;
    throw new Error(`test-owned processes left running after the run (now killed): ${left.map(({ pid, command }) => `${pid} ${command}`).join('; ')}`);
  }
}
