import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setOrganizationCallLimit } from '../../src/db/repositories/organizations.js';
import { createDialerWorker } from '../../src/dialer/index.js';
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

  it("never lets an organization's held calls delay another organization's calls", async () => {
    // Organization L may have 2 calls at once; its campaign has 30 due and its calls stay on the line.
    const limited = await t.newOrganization('fair-dispatch-limited');
    await setOrganizationCallLimit(t.system.deps.db.sql, 'fair-dispatch-limited', 2);
    const asLimited = { 'x-api-key': limited.apiKey };
    const other = await t.newOrganization('fair-dispatch-other');
    const asOther = { 'x-api-key': other.apiKey };
    const onLine: Array<() => void> = [];
    const gated = new Set<string>();
    const dialer = createDialerWorker({
      connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null },
      prefix: t.config.QUEUE_PREFIX,
      concurrency: 5,
      handler: async (data) => {
        if (gated.has(data.campaign_id)) await new Promise<void>((hangUp) => onLine.push(hangUp));
        return { status: 'answered', duration_s: 1 };
      },
    });
    const held = async () => {
      const metric = await t.system.deps.metrics.dispatchDecisions.get();
      return metric.values.filter((value) => value.labels.decision === 'hold').reduce((sum, value) => sum + value.value, 0);
    };
    try {
      const heldBefore = await held();
      const busy = await createCampaign(t, { settings: ALL_DAY, targets: phones(30, 1_000), headers: asLimited });
      gated.add(busy);
      expect((await limited.api('POST', `/campaigns/${busy}/start`)).statusCode).toBe(200);
      await eventually(
        async () => ({ onLine: onLine.length, held: await held() }),
        (now) => now.onLine === 2 && now.held > heldBefore,
      );
      const small = await createCampaign(t, { settings: { ...ALL_DAY, call_attempt_delays: [] }, targets: phones(5, 5_000), start: true, headers: asOther });
      await eventually(
        () => t.prisma.call.count({ where: { campaignId: small, status: 'answered' } }),
        (n) => n === 5,
      );
      // Meanwhile L kept its limit: its two calls are still on the line, the rest held.
      expect(onLine).toHaveLength(2);
      expect(await t.prisma.call.count({ where: { campaignId: busy, status: 'dialing' } })).toBe(2);
    } finally {
      onLine.splice(0).forEach((hangUp) => hangUp());
      await dialer.close();
    }
  });
});
