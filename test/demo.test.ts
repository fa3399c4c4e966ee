import { spawn } from 'node:child_process';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { adminQuery, uniqueName, withDatabase } from './support/databases.js';
import { deletePrefixAt } from './support/redis-keys.js';

/** `npm run demo` as a newcomer runs it, in a child process with its own database and prefix. */

const TIME_LIMIT_MS = 90_000;

const database = uniqueName('cedemo');
const prefix = uniqueName('demo');

afterAll(async () => {
  await adminQuery(inject('databaseServerUrl'), `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await deletePrefixAt(inject('redisUrl'), prefix);
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  // Its own process group, so a run past the limit is stopped with everything it started.
  const child = spawn('npx', ['tsx', 'scripts/demo.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, TIME_LIMIT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('npm run demo', () => {
  it(
    'runs a campaign, resumes it and exits 0 with DEMO_EXIT=1, printing plain progress lines when not on a terminal',
    async () => {
      const port = await getPort();
      const run = await runDemo({
        DEMO_EXIT: '1',
        DEMO_TARGETS: '40',
        DEMO_SPEED: '300',
        DEMO_CALL_MS: '50',
        DEMO_ANSWER_RATE: '0.3',
        DEMO_PROGRESS_MS: '1000',
        DEMO_TIMEOUT_MS: '80000',
        PORT: String(port),
        DATABASE_URL: withDatabase(inject('databaseServerUrl'), database),
        REDIS_URL: inject('redisUrl'),
        QUEUE_PREFIX: prefix,
      });
      const output = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

      expect(run.code, output).toBe(0);
      expect(run.ms).toBeLessThan(TIME_LIMIT_MS);

      // Not a terminal: plain lines, no live line redrawn with carriage returns or escapes.
      expect(run.stdout.includes('\r') || run.stdout.includes('\x1b[')).toBe(false);
      expect(run.stdout).toMatch(/^\[pass 1\] +\d+% \| .*targets: .*\| calls \(\d+\): /m);
      expect(run.stdout).toMatch(/^\[pass 2\] +100% \| /m);

      // The resume counts add up to the selected targets.
      const resumed = run.stdout.match(
        /^Resumed not_answered: (\d+) targets selected -> scheduled_calls (\d+), queued_whatsapp (\d+), skipped_existing_pending (\d+), skipped_missing_contact (\d+)$/m,
      );
      expect(resumed, output).not.toBeNull();
      const [selected, ...parts] = resumed!.slice(1).map(Number);
      expect(parts.reduce((total, n) => total + n, 0)).toBe(selected);

      const base = `http://localhost:${port}`;
      const campaignId = run.stdout.match(/\/campaigns\/([0-9a-f-]{36})\/stats/)?.[1];
      expect(campaignId, output).toBeDefined();
      expect(run.stdout).toContain(`${base}/campaigns/${campaignId}/stats`);
      expect(run.stdout).toContain(`${base}/docs`);
      expect(run.stdout).toContain(`${base}/admin/queues`);
      expect(run.stdout).toMatch(/ADMIN_USER\/ADMIN_PASSWORD/);
      expect(run.stdout).toMatch(new RegExp(`curl -s ${base}/campaigns/${campaignId}/stats -H 'X-API-Key: cek_[A-Za-z0-9_-]+'`));
      expect(run.stdout).toMatch(/^Finished in \d+ s/m);

      // What the output claims is in the database: the campaign done, a second round of calls.
      const db = new pg.Client({ connectionString: withDatabase(inject('databaseServerUrl'), database) });
      await db.connect();
      try {
        const campaign = await db.query<{ status: string }>('SELECT status::text FROM campaigns WHERE id = $1', [campaignId]);
        expect(campaign.rows[0]?.status).toBe('done');
        if (selected! > 0) {
          const calls = await db.query<{ n: number }>('SELECT max(attempt)::int AS n FROM calls WHERE campaign_id = $1', [campaignId]);
          expect(calls.rows[0]?.n ?? 0).toBeGreaterThan(1);
        }
      } finally {
        await db.end();
      }
    },
    TIME_LIMIT_MS + 15_000,
  );
});
