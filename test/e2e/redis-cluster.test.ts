import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName, queuePrefix } from '../../src/queues/names.js';
import { dialCampaignToDone } from '../support/engine-campaign.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { startRedisCluster } from '../support/redis-cluster.js';

// The system on a Redis Cluster of three primaries: every connection a cluster client, each
// queue's keys in a slot of their own, the dialer helper on a cluster connection too.
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let t: TestSystem;

beforeAll(async () => {
  cluster = await startRedisCluster();
  t = await startTestSystem({ REDIS_CLUSTER_NODES: cluster.nodes, HOPPER_INTERVAL_MS: '100' });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
});

describe('on a Redis Cluster', () => {
  it('gives each queue a hash tag of its own, so queues spread over the slots', () => {
    const slots = new Set(Object.values(QueueName).map((queue) => queuePrefix(t.config.QUEUE_PREFIX, queue, true)));
    expect(slots.size).toBe(Object.values(QueueName).length);
    expect(queuePrefix('bull', QueueName.Calls, true)).toBe('{bull:campaign-calls}');
    expect(queuePrefix('bull', QueueName.Calls, false)).toBe('bull');
  });

  it('runs a campaign through start, pause, resume and a dialer on a cluster connection to done, with keys on more than one node', async () => {
    const connection = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null } },
    );
    try {
      await dialCampaignToDone(t, { targets: 300, areaCode: '628', connection });
    } finally {
      connection.disconnect();
    }
    const keys = await cluster.keysPerPrimary();
    expect(keys.filter((count) => count > 0).length, `keys per node: ${keys.join(', ')}`).toBeGreaterThan(1);
  });

  it('answers readiness through the cluster client, and counts requests in the cluster for the rate limit', async () => {
    const ready = await t.system.app!.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', redis: 'ok' });
    expect(await cluster.keys(`${t.config.QUEUE_PREFIX}:rate-limit:*`)).not.toEqual([]);
  });
});
