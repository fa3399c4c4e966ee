import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDialerWorker } from '../../src/dialer/index.js';
import { QueueName, queuePrefix } from '../../src/queues/names.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { startRedisCluster } from '../support/redis-cluster.js';

// The system on a Redis Cluster of three primaries: every connection a cluster client, each
// queue's keys in a slot of their own, the dialer helper on a cluster connection too.
let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
let t: TestSystem;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  t = await startTestSystem({ REDIS_CLUSTER_NODES: cluster.nodes, HOPPER_INTERVAL_MS: '100' });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
});

const TARGETS = 300;
const phones = Array.from({ length: TARGETS }, (_, i) => ({ phone: `+1415556${String(1000 + i).padStart(4, '0')}` }));

describe('on a Redis Cluster', () => {
  it('gives each queue a hash tag of its own, so queues spread over the slots', () => {
    const slots = new Set(Object.values(QueueName).map((queue) => queuePrefix(t.config.QUEUE_PREFIX, queue, true)));
    expect(slots.size).toBe(Object.values(QueueName).length);
    expect(queuePrefix('bull', QueueName.Calls, true)).toBe('{bull:campaign-calls}');
    expect(queuePrefix('bull', QueueName.Calls, false)).toBe('bull');
  });

  it('runs a campaign through start, pause, resume and a dialer on a cluster connection to done, with keys on more than one node', async () => {
    const id = await createCampaign(t, { settings: { call_working_hours: ALL_WEEK, call_attempt_delays: [] }, targets: phones, start: true });
    expect((await t.api('POST', `/campaigns/${id}/pause`)).json().status).toBe('paused');
    const resumed = await t.api('POST', `/campaigns/${id}/resume`, { segment: 'not_answered' });
    expect(resumed.statusCode).toBe(200);

    const connection = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: null } },
    );
    const dialed: string[] = [];
    const dialer = createDialerWorker({
      connection,
      prefix: t.config.QUEUE_PREFIX,
      concurrency: 20,
      handler: async (data) => {
        dialed.push(data.target_id);
        return { status: 'answered', duration_s: 12 };
      },
    });
    try {
      await waitCampaignDone(t, id, { timeoutMs: 20_000 });
      const keys = await cluster.keysPerNode();
      expect(keys.filter((count) => count > 0).length, `keys per node: ${keys.join(', ')}`).toBeGreaterThan(1);
    } finally {
      await dialer.close();
      connection.disconnect();
    }
    expect(dialed).toHaveLength(TARGETS);
    expect(new Set(dialed).size).toBe(TARGETS);
    const calls = await t.prisma.call.groupBy({ by: ['status'], where: { campaignId: id }, _count: true });
    expect(calls).toEqual([{ status: 'answered', _count: TARGETS }]);
  });

  it('answers readiness through the cluster client, and counts requests in the cluster for the rate limit', async () => {
    const ready = await t.system.app!.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', redis: 'ok' });
    expect(await cluster.keys(`${t.config.QUEUE_PREFIX}:rate-limit:*`)).not.toEqual([]);
  });
});
