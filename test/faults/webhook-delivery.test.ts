import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/poll.js';
import { ALL_WEEK, campaignInput } from '../support/campaigns.js';
import { createProcessFixture, type ProcessFixture } from '../support/process-fixture.js';
import { stopOwnedProcesses } from '../support/processes.js';
import { startOwnRedis } from '../support/redis-server.js';
import { httpClient, startSystemProcess, systemEnv, type SystemProcess } from '../support/system-process.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Webhook deliveries through a crash (docs/webhooks.md, "Deliveries"): the system process is
 * killed (SIGKILL) while attempts are in flight at a slow receiver, and Redis is killed and started
 * again empty (no persistence). A new process on the same database delivers every event at least
 * once, each verified by the receiver with the Standard Webhooks reference library.
 */

let fixture: ProcessFixture | undefined;

afterEach(async () => {
  try {
    await fixture?.close();
  } finally {
    await stopOwnedProcesses();
    fixture = undefined;
  }
});

const CAMPAIGNS = 10;

describe('webhook deliveries', () => {
  it('survive the worker killed mid-delivery and Redis restarted empty: every event arrives at least once', async () => {
    const redis = await startOwnRedis();
    const f = (fixture = await createProcessFixture({ redisUrl: redis.url }));
    const env = systemEnv(
      { databaseUrl: f.databaseUrl, redisUrl: redis.url, prefix: f.prefix },
      {
        HOPPER_INTERVAL_MS: '500',
        RECONCILE_INTERVAL_MS: '1000',
        RECONCILE_GRACE_MS: '2000',
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_RETRY_DELAYS_MS: '500,1000,2000,4000,8000',
      },
    );
    let system: SystemProcess = await startSystemProcess('all', env);
    const api = () => httpClient(system.url!, f.apiKey);
    const receiver = await startWebhookReceiver();
    try {
      // Slow at first: attempts are in flight when the process dies.
      let slow = true;
      receiver.answerWith(() => 200);
      receiver.delayWith(() => (slow ? 1_500 : 0));
      const endpoint = (await api()('POST', '/webhook-endpoints', { url: receiver.url })).body as { id: string; secret: string };
      receiver.trust(endpoint.secret);
      // Ten campaigns started and completed: thirty events, four attempts at a time at the receiver.
      for (let i = 0; i < CAMPAIGNS; i++) {
        const campaignId = (await api()('POST', '/campaigns', campaignInput({ name: `webhooks ${i}`, call_working_hours: ALL_WEEK }))).body.id as string;
        await api()('POST', `/campaigns/${campaignId}/targets`, [{ phone: `+1312555${String(i).padStart(4, '0')}` }]);
        expect((await api()('POST', `/campaigns/${campaignId}/start`)).status).toBe(200);
        expect((await api()('POST', `/campaigns/${campaignId}/complete`)).status).toBe(200);
      }
      await eventually(
        async () => receiver.requests,
        (n) => n >= 1,
      );
      const events = async () => (await f.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events', []))[0]!.n;
      await eventually(events, (n) => n === 3 * CAMPAIGNS);

      await system.kill('SIGKILL');
      await redis.stop();
      await redis.start();
      slow = false;
      system = await startSystemProcess('all', env);

      const expected = await events();
      await eventually(
        async () => new Set(receiver.received.map((event) => event.id)).size,
        (n) => n === expected,
        60_000,
      );
      const pending = await f.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status', []);
      expect(pending).toEqual([{ status: 'delivered', n: expected }]);
      expect(receiver.rejected).toEqual([]);
      const types = new Set(receiver.received.map((event) => event.type));
      expect([...types].sort()).toEqual(['campaign.completed', 'campaign.status_changed']);
      console.log(
        `[faults] webhooks: ${expected} events, ${receiver.requests} requests (${receiver.requests - expected} repeats after the kill and the empty Redis)`,
      );
    } finally {
      await receiver.close();
      await system.kill('SIGTERM').catch(() => undefined);
    }
  });
});
