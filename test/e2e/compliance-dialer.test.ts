import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName } from '../../src/queues/names.js';
import { createTestClock } from '../support/clock.js';
import { eventually } from '../support/poll.js';
import { createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

/*
 * A dialer written only from docs/dialers.md (the claim, its answers under compliance and pacing): a plain
 * BullMQ Worker on queue `campaign-calls` with the system's prefix, which asks
 * `POST /calls/{id}/claim` before dialing and reports with `POST /calls/{id}/outcome`, over real
 * HTTP with the organization's API key, against campaigns with do-not-contact entries and pacing
 * limits (dialer-examples.test.ts checks the page's own examples). Nothing of src/ is imported.
 */

// Monday 2026-11-30 10:00 UTC, inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
let baseUrl: string;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1', CONCURRENCY_RETRY_MS: '200' }, 'all', { clock: clock.now });
  await t.system.app!.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
});
afterAll(() => t?.close());

interface CallJob {
  call_id: string;
  campaign_id: string;
  target_id: string;
  attempt: number;
  phone: string;
  variables: Record<string, unknown>;
  promotion: number;
}

interface Claim {
  callId: string;
  status: number;
  detail?: string;
}

/** The page's dialer. `variables.calls` scripts each target's outcomes by attempt (default answered). */
function startReadmeDialer(apiKey: string, options: { callMs?: number } = {}) {
  const dials: Array<{ job: CallJob; at: Date }> = [];
  const claims: Claim[] = [];
  let onLine = 0;
  let maxOnLine = 0;
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const worker = new Worker(
    'campaign-calls',
    async (job) => {
      const call = job.data as CallJob;
      const claim = await post(`/calls/${call.call_id}/claim`, { promotion: call.promotion });
      const answer = (await claim.json()) as { detail?: string };
      claims.push({ callId: call.call_id, status: claim.status, ...(answer.detail ? { detail: answer.detail } : {}) });
      // 409: do not dial, acknowledge the job. 425, and anything else: BullMQ retries the job.
      if (claim.status === 409) return { dialed: false };
      if (claim.status !== 200) throw new Error(`claim answered ${claim.status}`);

      onLine += 1;
      maxOnLine = Math.max(maxOnLine, onLine);
      dials.push({ job: call, at: clock.now() });
      if (options.callMs) await new Promise((resolve) => setTimeout(resolve, options.callMs));
      onLine -= 1;
      const script = (call.variables.calls as string[] | undefined) ?? [];
      const status = script[call.attempt - 1] ?? 'answered';
      // The call happened: report until the report gets through (failing the job would dial again).
      for (let attempt = 0; ; attempt++) {
        const reported = await post(`/calls/${call.call_id}/outcome`, { status, ...(status === 'answered' ? { duration_s: 42 } : {}) });
        if (reported.ok) return { dialed: true };
        if (attempt === 20) throw new Error(`outcome answered ${reported.status}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    { connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null }, prefix: t.config.QUEUE_PREFIX, concurrency: 5 },
  );
  return { dials, claims, maxOnLine: () => maxOnLine, close: () => worker.close() };
}

const start = async (id: string) => expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
const campaignStatus = (id: string) => t.api('GET', `/campaigns/${id}`).then((r) => r.json().status as string);
const callsOf = (id: string) =>
  t
    .api('GET', `/campaigns/${id}/calls?limit=500`)
    .then((r) => r.json().items as Array<{ id: string; target_id: string; attempt: number; status: string; cancel_reason: string | null }>);
const targetIdOf = async (id: string, phone: string) =>
  ((await t.api('GET', `/campaigns/${id}/targets?limit=500`)).json().items as Array<{ id: string; phone: string }>).find((target) => target.phone === phone)!
    .id;

/** Steps the clock from due time to due time (each once nothing is due or under way) until the campaign is done. */
async function driveToDone(id: string) {
  for (let step = 0; step < 200; step++) {
    if ((await campaignStatus(id)) === 'done') return;
    await eventually(
      async () => ({
        busy: await t.prisma.call.count({
          where: {
            campaignId: id,
            OR: [{ status: 'dialing' }, { status: 'scheduled', promotedAt: { not: null } }, { status: 'scheduled', scheduledFor: { lte: clock.now() } }],
          },
        }),
        status: await campaignStatus(id),
      }),
      (now) => now.busy === 0 || now.status === 'done',
    );
    const next = await t.prisma.call.findFirst({ where: { campaignId: id, status: 'scheduled' }, orderBy: { scheduledFor: 'asc' } });
    if (next && next.scheduledFor > clock.now()) clock.set(next.scheduledFor);
  }
  throw new Error('the campaign did not finish');
}

describe('a dialer built only from docs/dialers.md', () => {
  it('holds calls beyond max_concurrent_calls with 409 and dials them once a slot frees', async () => {
    const id = await createCampaign(t, {
      settings: { max_concurrent_calls: 1, call_attempt_delays: [] },
      targets: [{ phone: '+14155550301' }, { phone: '+14155550302' }, { phone: '+14155550303' }],
    });
    const dialer = startReadmeDialer(t.org.apiKey, { callMs: 400 });
    try {
      await start(id);
      await waitCampaignDone(t, id);
      expect(dialer.dials.map((dial) => dial.job.phone).sort()).toEqual(['+14155550301', '+14155550302', '+14155550303']);
      expect(dialer.maxOnLine()).toBe(1);
      const held = dialer.claims.filter((claim) => claim.status === 409);
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((claim) => claim.detail?.includes('concurrency_limit'))).toBe(true);
      expect((await callsOf(id)).map((call) => call.status)).toEqual(['answered', 'answered', 'answered']);
    } finally {
      await dialer.close();
    }
  });

  it('completes a campaign with do-not-contact entries and a calls-per-minute limit', async () => {
    const listedBefore = '+14155550311';
    const listedAfter = '+14155550312';
    expect((await t.api('POST', '/do-not-contact', [{ phone: '+1 415-555-0311' }])).statusCode).toBe(201);
    const targets = [
      { phone: listedBefore },
      { phone: listedAfter },
      ...['+14155550313', '+14155550314', '+14155550315', '+14155550316', '+14155550317'].map((phone, i) => ({
        phone,
        variables: { calls: i % 2 === 0 ? ['no_answer', 'answered'] : ['answered'] },
      })),
    ];
    const id = await createCampaign(t, { settings: { max_calls_per_minute: 3, max_concurrent_calls: 2, call_attempt_delays: [1] }, targets: targets });
    await start(id);
    // Its call is a row already when the number is listed.
    await eventually(
      () => t.prisma.call.count({ where: { campaignId: id } }),
      (n) => n === targets.length - 1,
    );
    expect((await t.api('POST', '/do-not-contact', [{ phone: listedAfter }])).statusCode).toBe(201);

    const dialer = startReadmeDialer(t.org.apiKey);
    try {
      await driveToDone(id);
      expect(await campaignStatus(id)).toBe('done');

      const dialedPhones = dialer.dials.map((dial) => dial.job.phone);
      expect(dialedPhones).not.toContain(listedBefore);
      expect(dialedPhones).not.toContain(listedAfter);
      expect(dialedPhones).toHaveLength(8);
      const calls = await callsOf(id);
      const listedAfterId = await targetIdOf(id, listedAfter);
      const listedBeforeId = await targetIdOf(id, listedBefore);
      expect(calls.filter((call) => call.target_id === listedAfterId).map((call) => [call.status, call.cancel_reason])).toEqual([
        ['canceled', 'do_not_contact'],
      ]);
      expect(calls.filter((call) => call.target_id === listedBeforeId)).toEqual([]);
      // The dialer was told not to dial the number listed after scheduling.
      const refused = dialer.claims.filter((claim) => calls.some((call) => call.id === claim.callId && call.target_id === listedAfterId));
      expect(refused).toEqual([{ callId: expect.any(String), status: 409, detail: expect.stringContaining('do-not-contact') }]);

      // No 60-second window holds more than 3 dials.
      const times = dialer.dials.map((dial) => dial.at.getTime()).sort((a, b) => a - b);
      for (let i = 3; i < times.length; i++) expect(times[i]! - times[i - 3]!).toBeGreaterThanOrEqual(60_000);

      const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
      expect(stats.targets).toMatchObject({ total: 7, do_not_contact: 2, goal_met: 5 });
      expect(stats.calls).toEqual({ answered: 5, no_answer: 3, canceled: 1 });
    } finally {
      await dialer.close();
    }
  });

  it('is never told to dial while the do-not-contact list cannot be checked; the job is retried and dialed once it can', async () => {
    const id = await createCampaign(t, { settings: { call_attempt_delays: [] }, targets: [{ phone: '+14155550321' }] });
    await start(id);
    await eventually(
      () => t.prisma.call.count({ where: { campaignId: id, promotedAt: { not: null } } }),
      (n) => n === 1,
    );
    await t.system.db.pool.query('ALTER TABLE do_not_contact RENAME TO do_not_contact_off');
    let broken = true;
    const dialer = startReadmeDialer(t.org.apiKey);
    try {
      // The claim cannot be decided: the dialer gets an error answer, not a go.
      await eventually(
        async () => dialer.claims,
        (claims) => claims.length > 0,
      );
      expect(dialer.claims[0]!.status).toBeGreaterThanOrEqual(500);
      expect(dialer.dials).toEqual([]);
      expect((await callsOf(id))[0]!.status).toBe('scheduled');

      await t.system.db.pool.query('ALTER TABLE do_not_contact_off RENAME TO do_not_contact');
      broken = false;
      // The failed job waits for BullMQ's retry; its backoff elapsing is what promote does.
      const delayed = async () => (await t.system.queues.get(QueueName.Calls).getDelayed()).filter((job) => job.data.campaign_id === id);
      const [retry] = await eventually(delayed, (jobs) => jobs.length === 1);
      await retry!.promote();
      await waitCampaignDone(t, id);
      expect(dialer.dials).toHaveLength(1);
      expect(dialer.claims.map((claim) => claim.status).at(-1)).toBe(200);
      expect((await callsOf(id))[0]!.status).toBe('answered');
    } finally {
      if (broken) await t.system.db.pool.query('ALTER TABLE do_not_contact_off RENAME TO do_not_contact');
      await dialer.close();
    }
  });
});
