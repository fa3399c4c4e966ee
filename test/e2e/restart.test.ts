import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withStandaloneDb } from '../../src/db/client.js';
import { createApiKey, findOrCreateOrganization } from '../../src/db/repositories/organizations.js';
import { createDialerWorker, type CallJobData } from '../../src/dialer/index.js';
import { eventually } from '../support/poll.js';
import { createTestDatabase, uniqueName } from '../support/databases.js';
import { ALL_WEEK, campaignInput, waitCampaignDone, type CampaignReader } from '../support/campaigns.js';
import { TEST_JWT_SECRET } from '../support/harness.js';
import { createTestPrisma } from '../support/prisma.js';
import getPort from 'get-port';
import { deletePrefixAt } from '../support/redis-keys.js';
import { spawnOwned, stopOwnedProcesses } from '../support/processes.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: ReturnType<typeof createTestPrisma>;
let env: Record<string, string>;
let baseUrl: string;
let apiKey: string;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseServerUrl'), inject('templateDatabase'));
  db = createTestPrisma(database.url);
  const port = await getPort();
  baseUrl = `http://127.0.0.1:${port}`;
  env = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: uniqueName('restart'),
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: String(port),
    HOST: '127.0.0.1',
    HOPPER_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
  };
  apiKey = await withStandaloneDb(database.url, async (sql) => {
    const organization = await findOrCreateOrganization(sql, 'restart');
    return (await createApiKey(sql, organization.id)).key;
  });
});
afterAll(async () => {
  await stopOwnedProcesses();
  await db?.$disconnect();
  await database?.drop();
  if (env) await deletePrefixAt(inject('redisUrl'), env.QUEUE_PREFIX!);
});

interface Running {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

async function startProcess(): Promise<Running> {
  // node itself (not npx) so that SIGTERM reaches the process under test; owned, so the run's
  // ledger knows it and a failed test's teardown kills it.
  const output: string[] = [];
  const { child, exited: exit } = spawnOwned(process.execPath, ['--import', 'tsx', 'src/main.ts', 'all'], { env, output: (chunk) => output.push(chunk) });
  await eventually(
    () =>
      fetch(`${baseUrl}/healthz`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    30_000,
  );
  return { child, output, exit };
}

const api = (method: string, path: string, body?: unknown) =>
  fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const campaigns: CampaignReader = {
  status: async (id) => ((await (await api('GET', `/campaigns/${id}`)).json()) as { status: string }).status,
  counts: async (id) => (await api('GET', `/campaigns/${id}/stats`)).json(),
};

describe('graceful shutdown and restart', () => {
  it('stops on SIGTERM with exit 0, and no job is lost or run twice across the restart', async () => {
    const dials: string[] = [];
    const dialer = createDialerWorker({
      connection: { url: env.REDIS_URL, maxRetriesPerRequest: null },
      prefix: env.QUEUE_PREFIX,
      concurrency: 5,
      claimTimeoutMs: 60_000,
      handler: async (call: CallJobData) => {
        dials.push(call.call_id);
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { status: 'no_answer' };
      },
    });
    let running = await startProcess();
    try {
      const id = (
        (await (await api('POST', '/campaigns', campaignInput({ call_attempt_delays: [0, 0], call_working_hours: ALL_WEEK }))).json()) as { id: string }
      ).id;
      const targets = Array.from({ length: 20 }, (_, i) => ({ phone: `+1646555${String(i).padStart(4, '0')}` }));
      await api('POST', `/campaigns/${id}/targets`, targets);
      expect((await api('POST', `/campaigns/${id}/start`)).status).toBe(200);
      await eventually(
        async () => dials.length,
        (n) => n >= 15,
        30_000,
      );

      const stoppedAt = Date.now();
      running.child.kill('SIGTERM');
      expect(await running.exit).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      expect(running.output.join('')).toContain('shutting down');
      const dialsWhileDown = dials.length;

      running = await startProcess();
      await waitCampaignDone(campaigns, id, { timeoutMs: 60_000 });
      expect(dials.length).toBeGreaterThan(dialsWhileDown);
      const calls = await db.call.findMany({ where: { campaignId: id } });
      expect(calls).toHaveLength(60);
      expect(calls.every((call) => call.status === 'no_answer')).toBe(true);
      // Every call dialed exactly once.
      expect([...dials].sort()).toEqual(calls.map((call) => call.id).sort());
    } finally {
      running.child.kill('SIGTERM');
      await running.exit;
      await dialer.close();
    }
  }, 120_000);
});
