import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialCampaignToDone } from '../support/engine-campaign.js';
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

describe('on Redis behind Sentinel', () => {
  it('runs a campaign through start, pause, resume and a dialer to done, its jobs on the primary the sentinels name', async () => {
    await dialCampaignToDone(t, {
      targets: 300,
      areaCode: '917',
      connection: {
        sentinels: redis.sentinelNodes,
        name: SENTINEL_NAME,
        sentinelPassword: SENTINEL_PASSWORD,
        password: PASSWORD,
        maxRetriesPerRequest: null,
      },
    });
    expect(await redis.primary()).toBe(redis.primaryPort);
    const primary = new Redis({ port: redis.primaryPort, host: '127.0.0.1', password: PASSWORD });
    try {
      expect(await primary.keys(`${t.config.QUEUE_PREFIX}:campaign-calls:*`)).not.toEqual([]);
    } finally {
      primary.disconnect();
    }
  });
});
