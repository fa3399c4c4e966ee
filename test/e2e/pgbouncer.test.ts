import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sql } from '../../src/db/sql.js';
import { adminQuery, uniqueName, withDatabase } from '../support/databases.js';
import { dialCampaignToDone } from '../support/engine-campaign.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { startPgbouncer } from '../support/pgbouncer.js';

// The system behind PgBouncer in transaction pooling mode, configured as docs/operations.md says:
// every statement and transaction of the lifecycle and of dispatch goes through the pooler.
let bouncer: Awaited<ReturnType<typeof startPgbouncer>>;
let t: TestSystem;

beforeAll(async () => {
  bouncer = await startPgbouncer();
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100' }, 'all', {}, { databaseVia: bouncer.via });
}, 300_000);
afterAll(async () => {
  await t?.close();
  await bouncer?.stop();
});

describe('through PgBouncer in transaction pooling mode', () => {
  it('reaches PostgreSQL through the pooler, with the connection settings its connect_query sets', async () => {
    const [row] = await t.system.db.sql.query<{ jit: string; port: number }>(sql`SELECT current_setting('jit') AS jit, inet_server_port() AS port`);
    expect(new URL(t.config.DATABASE_URL).port).toBe(String(bouncer.port));
    expect(row).toEqual({ jit: 'off', port: Number(new URL(inject('databaseServerUrl')).port || 5432) });
  });

  it('runs a campaign through start, pause, resume and dialing to done, each target called once', async () => {
    await dialCampaignToDone(t, { targets: 200, areaCode: '415', connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null } });
  });

  it('migrates a new database through DATABASE_DIRECT_URL while DATABASE_URL is the pooler', async () => {
    const server = inject('databaseServerUrl');
    const name = uniqueName('cetest_pgbouncer');
    const direct = withDatabase(server, name);
    try {
      const exitCode = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/migrate.ts'], {
          env: { ...process.env, DATABASE_URL: bouncer.via(direct), DATABASE_DIRECT_URL: direct },
          stdio: 'ignore',
        });
        child.once('exit', resolve);
      });
      expect(exitCode).toBe(0);
      const client = new pg.Client({ connectionString: bouncer.via(direct) });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
        expect(rows[0]!.n).toBeGreaterThan(10);
      } finally {
        await client.end();
      }
    } finally {
      await adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }, 120_000);
});
