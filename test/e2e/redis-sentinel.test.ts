import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDialerWorker } from '../../src/dialer/index.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { SENTINEL_NAME, startRedisSentinel } from '../support/redis-sentinel.js';

// The system on Redis behind Sentinel (a primary, a replica, three sentinels, passwords on both),
// the dialer helper connected the same way.
const PASSWORD = 'data-nodes-password';
const SENTINEL_PASSWORD = 'sentinels-password';
let redis: Awaited<ReturnType<typeof startRedisSentinel>>;
let t: TestSystem;

beforeAll(async () => {
  redis = await startRedisSentinel(PASSWORD, SENTINEL_PASSWORD);
  t = await startTestSystem({
    REDIS_SENTINELS: redis.sentinels,
    REDIS_SENTINEL_NAME: SENTINEL_NAME,
    REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
    REDIS_PASSWORD: PASSWORD,
    HOPPER_INTERVAL_MS: '100',
  });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

const TARGETS = 300;
const phones = Array.from({ length: TARGETS }, (_, i) => ({ phone: `+1415557${String(1000 + i).padStart(4, '0')}` }));

describe('on Redis behind Sentinel', () => {
  it('runs a campaign through start, pause, resume and a dialer to done, its jobs on the primary the sentinels name', async () => {
    const id = await createCampaign(t, { settings: { call_working_hours: ALL_WEEK, call_attempt_delays: [] }, targets: phones, start: true });
    expect((await t.api('POST', `/campaigns/${id}/pause`)).json().status).toBe('paused');
    expect((await t.api('POST', `/campaigns/${id}/resume`, { segment: 'not_answered' })).statusCode).toBe(200);

    const dialed: string[] = [];
    const dialer = createDialerWorker({
      connection: {
        sentinels: redis.sentinels.split(',').map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })),
        name: SENTINEL_NAME,
        sentinelPassword: SENTINEL_PASSWORD,
        password: PASSWORD,
        maxRetriesPerRequest: null,
      },
      prefix: t.config.QUEUE_PREFIX,
      concurrency: 20,
      handler: async (data) => {
        dialed.push(data.target_id);
        return { status: 'answered', duration_s: 12 };
      },
    });
    try {
      await waitCampaignDone(t, id, { timeoutMs: 20_000 });
    } finally {
      await dialer.close();
    }
    expect(dialed).toHaveLength(TARGETS);
    expect(new Set(dialed).size).toBe(TARGETS);
    const calls = await t.prisma.call.groupBy({ by: ['status'], where: { campaignId: id }, _count: true });
    expect(calls).toEqual([{ status: 'answered', _count: TARGETS }]);

    expect(await redis.primary()).toBe(redis.primaryPort);
    const primary = new Redis({ port: redis.primaryPort, host: '127.0.0.1', password: PASSWORD });
    try {
      expect(await primary.keys(`${t.config.QUEUE_PREFIX}:campaign-calls:*`)).not.toEqual([]);
    } finally {
      primary.disconnect();
    }
  });
});
