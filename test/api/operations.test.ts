import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startSystem } from '../../src/system.js';
import { uniqueName } from '../support/databases.js';
import { eventually } from '../support/poll.js';
import { ALL_WEEK, campaignInput, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, TEST_JWT_SECRET, type TestSystem } from '../support/harness.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { claimAndReport } from '../support/reports.js';
import { startOwnRedis, type OwnRedis } from '../support/redis-server.js';
import { deletePrefixAt } from '../support/redis-keys.js';

describe('health, readiness and metrics', () => {
  let t: TestSystem;
  beforeAll(async () => {
    t = await startTestSystem();
  });
  afterAll(() => t?.close());

  const get = (url: string) => t.system.app!.inject({ method: 'GET', url });

  it('answers /healthz and /readyz without credentials', async () => {
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
  });

  it('exports queue depths, commands, outcomes, durations and Node metrics in Prometheus format', async () => {
    // A second attempt keeps the campaign running after the outcome, so that it can be paused.
    const id = await createCampaign(t, { settings: { call_working_hours: ALL_WEEK, call_attempt_delays: [600] }, targets: ONE_TARGET });
    await t.api('POST', `/campaigns/${id}/start`);
    await t.api('POST', `/campaigns/${id}/start?agent_id=not-a-uuid`);
    const call = await eventually(() => t.prisma.call.findFirst({ where: { campaignId: id } }), Boolean);
    expect((await claimAndReport(t, 'call', call!.id, { status: 'busy' })).statusCode).toBe(200);
    await t.api('POST', `/campaigns/${id}/pause`);
    await t.api('POST', `/campaigns/${id}/complete`);
    await t.api('POST', `/campaigns/${id}/pause`);

    const response = await get('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    for (const queue of ['campaign-lifecycle', 'campaign-scheduler', 'campaign-calls', 'campaign-whatsapp', 'campaign-dispatch']) {
      for (const state of ['waiting', 'prioritized', 'delayed', 'active', 'failed']) {
        expect(text).toMatch(new RegExp(`campaign_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+`));
      }
    }
    expect(text).toMatch(/campaign_lifecycle_commands_total\{command="start",result="succeeded"\} 1/);
    expect(text).toMatch(/campaign_lifecycle_commands_total\{command="pause",result="succeeded"\} 1/);
    expect(text).toMatch(/campaign_lifecycle_commands_total\{command="pause",result="rejected"\} 1/);
    expect(text).toMatch(/campaign_call_outcomes_total\{status="busy"\} 1/);
    expect(text).toMatch(/campaign_lifecycle_command_duration_seconds_bucket\{le="[^"]+",command="start"\} 1/);
    expect(text).toMatch(/campaign_job_duration_seconds_count\{queue="campaign-lifecycle",job="lifecycle-command",outcome="completed"\} [4-9]/);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('Redis unavailable', () => {
  let redis: OwnRedis;
  let t: TestSystem;
  beforeAll(async () => {
    redis = await startOwnRedis();
    t = await startTestSystem({ REDIS_URL: redis.url, COMMAND_WAIT_MS: '5000' });
  });
  afterAll(async () => {
    try {
      // Back up if the test stopped it (a no-op while it runs), so the system closes cleanly.
      await redis?.start();
      await t?.close();
    } finally {
      await stopOwnedProcesses();
    }
  });

  it('answers 503 and changes nothing; works again when Redis returns', async () => {
    const id = await createCampaign(t, {
      settings: { call_working_hours: ALL_WEEK },
      targets: ONE_TARGET,
    });
    await redis.stop();

    const ready = await t.system.app!.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'unavailable', postgres: 'ok', redis: expect.not.stringMatching(/^ok$/) });

    const refused = await t.api('POST', `/campaigns/${id}/start`);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().detail).toMatch(/Redis.*nothing was changed/);
    expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe('draft');
    // The command is kept, failed (never applied): its Idempotency-Key answers the same to everyone.
    expect((await t.prisma.command.findMany({ where: { campaignId: id } })).map((command) => command.status)).toEqual(['failed']);
    expect((await t.api('GET', `/campaigns/${id}/events`)).json().items).toEqual([]);

    await redis.start();
    const started = await eventually(
      () => t.api('POST', `/campaigns/${id}/start`).then((r) => r.statusCode),
      (code) => code === 200,
      30_000,
    );
    expect(started).toBe(200);
    await eventually(
      () => t.prisma.call.count({ where: { campaignId: id, promotedAt: { not: null } } }),
      (n) => n === 1,
      30_000,
    );
  });
});

describe('PostgreSQL unavailable', () => {
  it('answers 503 with a clear detail, and /readyz says which dependency failed', async () => {
    const port = await getPort();
    const prefix = uniqueName('pgdown');
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nowhere`,
      REDIS_URL: inject('redisUrl'),
      QUEUE_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    const down = await startSystem(config, 'api', { logger: createLogger('silent') });
    try {
      // Redis may still be connecting right after boot; PostgreSQL never answers.
      const ready = await eventually(
        () => down.app!.inject({ method: 'GET', url: '/readyz' }),
        (response) => response.json().redis === 'ok',
      );
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'unavailable', redis: 'ok', postgres: expect.not.stringMatching(/^ok$/) });
      const response = await down.app!.inject({
        method: 'POST',
        url: '/campaigns',
        headers: { 'x-api-key': 'cek_any' },
        payload: campaignInput(),
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().detail).toMatch(/PostgreSQL or Redis/);
    } finally {
      await down.close().catch(() => undefined);
      await deletePrefixAt(inject('redisUrl'), prefix);
    }
  });
});
