import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName } from '../../src/queues/names.js';
import { createTestClock } from '../support/clock.js';
import { createCampaign } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { eventually } from '../support/poll.js';

// Monday 2026-11-30 10:00 UTC.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ phone: `+1404${String(base + i).padStart(7, '0')}` }));
const ALL_DAY = { call_working_hours: { start: '00:00', end: '23:59:59', weekdays: [1, 2, 3, 4, 5, 6, 7] } };
const FROM_FOUR = { call_working_hours: { start: '16:00', end: '18:00' } };

const promoted = (campaignId: string) => t.prisma.call.count({ where: { campaignId, promotedAt: { not: null } } });

/** Takes `count` call jobs off the queue one by one, as a dialer with one line would, and returns their campaigns. */
async function takeCalls(count: number): Promise<string[]> {
  const taker = new Worker(QueueName.Calls, null, { connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null }, prefix: t.config.QUEUE_PREFIX });
  taker.on('error', (error) => {
    throw error;
  });
  const token = randomUUID();
  const campaigns: string[] = [];
  try {
    while (campaigns.length < count) {
      const job = await taker.getNextJob(token, { block: false });
      if (!job) throw new Error(`the queue ran dry after ${campaigns.length} calls`);
      campaigns.push(job.data.campaign_id as string);
      await job.moveToCompleted('taken', token, false);
    }
  } finally {
    await taker.close();
  }
  return campaigns;
}

describe('fair dispatch on the one call queue', () => {
  it("hands out a second organization's new campaigns between the first one's queued calls, organization by organization", async () => {
    // Organization A's campaign is queued first: 12 calls waiting for dialers.
    const big = await createCampaign(t, { settings: ALL_DAY, targets: phones(12, 0), start: true });
    await eventually(
      () => promoted(big),
      (n) => n === 12,
    );
    // Organization B's two campaigns come due later, together (their window opens at 16:00).
    const other = await t.newOrganization('fair-dispatch-b');
    const as = { 'x-api-key': other.apiKey };
    const [first, second] = [
      await createCampaign(t, { settings: FROM_FOUR, targets: phones(3, 100), start: true, headers: as }),
      await createCampaign(t, { settings: FROM_FOUR, targets: phones(3, 200), start: true, headers: as }),
    ].sort();
    await eventually(
      () => t.prisma.call.count({ where: { campaignId: { in: [first!, second!] } } }),
      (n) => n === 6,
    );
    clock.set(new Date('2026-11-30T16:00:00Z'));
    await eventually(
      async () => (await promoted(first!)) + (await promoted(second!)),
      (n) => n === 6,
    );

    const taken = await takeCalls(18);
    const name = new Map([
      [big, 'A'],
      [first!, 'B1'],
      [second!, 'B2'],
    ]);
    // One call of A, then one of B (its campaigns in turn), until B's calls run out.
    expect(taken.map((campaignId) => name.get(campaignId))).toEqual([
      ...['A', 'B1', 'A', 'B2', 'A', 'B1', 'A', 'B2', 'A', 'B1', 'A', 'B2'],
      ...['A', 'A', 'A', 'A', 'A', 'A'],
    ]);
  });
});
