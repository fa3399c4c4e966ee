import type { ConnectionOptions } from 'bullmq';
import { expect } from 'vitest';
import { createDialerWorker } from '../../src/dialer/index.js';
import { ALL_WEEK, createCampaign, waitCampaignDone } from './campaigns.js';
import type { TestSystem } from './harness.js';

/**
 * For the tests of the system on another engine (a pooler, a cluster, sentinels): a campaign of
 * `targets` targets, one call each, taken through start, pause and resume, then dialed to done
 * by the helper on `connection`. Checks that every target was called once and every outcome
 * recorded; returns the campaign.
 */
export async function dialCampaignToDone(
  t: TestSystem,
  { targets, areaCode, connection }: { targets: number; areaCode: string; connection: ConnectionOptions },
) {
  const phones = Array.from({ length: targets }, (_, i) => ({ phone: `+1${areaCode}555${String(1000 + i).padStart(4, '0')}` }));
  const id = await createCampaign(t, { settings: { call_working_hours: ALL_WEEK, call_attempt_delays: [] }, targets: phones, start: true });
  expect((await t.api('POST', `/campaigns/${id}/pause`)).json().status).toBe('paused');
  const resumed = await t.api('POST', `/campaigns/${id}/resume`, { segment: 'not_answered' });
  expect(resumed.statusCode).toBe(200);
  expect(resumed.json().campaign.status).toBe('running');

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
  } finally {
    await dialer.close();
  }
  expect(dialed).toHaveLength(targets);
  expect(new Set(dialed).size).toBe(targets);
  const calls = await t.prisma.call.groupBy({ by: ['status'], where: { campaignId: id }, _count: true });
  expect(calls).toEqual([{ status: 'answered', _count: targets }]);
  return id;
}
