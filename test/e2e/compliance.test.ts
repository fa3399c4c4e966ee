import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDialerWorker, type CallJobData, type HelperFailure } from '../../src/dialer/index.js';
import { QueueName } from '../../src/queues/names.js';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { eventually } from '../support/poll.js';
import { createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { afterHopperPasses } from '../support/hopper.js';

// Monday 2026-11-30 10:00 UTC, inside the default 09:00–19:00 weekday window. Tests run in order
// and only ever move the clock forward.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '150' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

interface CallRow {
  id: string;
  target_id: string;
  attempt: number;
  status: string;
  scheduled_for: string;
  dialing_at: string | null;
  ended_at: string | null;
  cancel_reason: string | null;
}
interface TargetRow {
  id: string;
  phone: string | null;
  customer_id: string | null;
  state: string;
}

const start = async (id: string) => expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
const campaignStatus = (id: string) => t.api('GET', `/campaigns/${id}`).then((r) => r.json().status as string);
const callsOf = (id: string) => t.api('GET', `/campaigns/${id}/calls?limit=500`).then((r) => r.json().items as CallRow[]);
const targetsOf = (id: string) => t.api('GET', `/campaigns/${id}/targets?limit=500`).then((r) => r.json().items as TargetRow[]);
const statsOf = (id: string) => t.api('GET', `/campaigns/${id}/stats`).then((r) => r.json());
const byPhone = (targets: TargetRow[]) => Object.fromEntries(targets.map((target) => [target.phone, target]));
const attemptsOf = (calls: CallRow[], targetId: string) =>
  calls
    .filter((call) => call.target_id === targetId)
    .sort((a, b) => a.attempt - b.attempt)
    .map((call) => [call.attempt, call.status, call.cancel_reason]);

/** Calls of the campaign whose job sits in Redis (promoted, not yet handed out). */
const promotedCalls = (campaignId: string) => t.prisma.call.count({ where: { campaignId, status: 'scheduled', promotedAt: { not: null } } });

describe('the do-not-contact API', () => {
  it('adds entries in bulk, normalized, reporting values already listed', async () => {
    const customerId = 'A1B2C3D4-0000-4000-8000-00000000C0DE';
    const added = await t.api('POST', '/do-not-contact', [
      { phone: '+1 (415) 555-0123' },
      { whatsapp: '+44 20 7946 0958' },
      { email: 'Pat.Doe@Example.COM' },
      { customer_id: customerId },
    ]);
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().already_listed).toEqual([]);
    expect(added.json().added.map((entry: { kind: string; value: string }) => [entry.kind, entry.value])).toEqual([
      ['phone', '+14155550123'],
      ['whatsapp', '+442079460958'],
      ['email', 'pat.doe@example.com'],
      ['customer_id', customerId.toLowerCase()],
    ]);
    for (const entry of added.json().added) {
      expect(entry).toEqual({ id: expect.any(String), kind: entry.kind, value: entry.value, reason: 'manual', source: null, created_at: expect.any(String) });
      // Stamped by the system's clock.
      expect(Math.abs(Date.parse(entry.created_at) - clock.now().getTime())).toBeLessThan(60_000);
    }

    // The same values in other spellings are listed already; a new one is added.
    const again = await t.api('POST', '/do-not-contact', [{ phone: '+1.415.555.0123' }, { email: 'PAT.DOE@example.com' }, { phone: '+14155550124' }]);
    expect(again.statusCode).toBe(201);
    expect(again.json().already_listed).toEqual(['+14155550123', 'pat.doe@example.com']);
    expect(again.json().added.map((entry: { value: string }) => entry.value)).toEqual(['+14155550124']);
  });

  it('answers 422 for bad entries and adds nothing of such a request', async () => {
    const before = (await t.api('GET', '/do-not-contact?limit=500')).json().items.length;
    // Each bad body, and where its error points: at the field that is wrong.
    const bad: Array<[unknown, Array<string | number>]> = [
      [[], ['body']],
      [{ phone: '+14155550127' }, ['body']],
      [[{ phone: 'call me maybe' }], ['body', 0, 'phone']],
      // Not international: no country to read it in.
      [[{ phone: '4155550125' }], ['body', 0, 'phone']],
      [[{ email: 'not-an-email' }], ['body', 0, 'email']],
      [[{ customer_id: 'not-a-uuid' }], ['body', 0, 'customer_id']],
      [[{ fax: '+14155550125' }], ['body', 0]],
      [[{ phone: '+14155550125', email: 'two@example.com' }], ['body', 0]],
      [
        [{ phone: '+14155550126' }, { whatsapp: 12 }],
        ['body', 1, 'whatsapp'],
      ],
    ];
    for (const [body, loc] of bad) {
      const response = await t.api('POST', '/do-not-contact', body);
      expect({ body, status: response.statusCode, loc: response.json().detail[0].loc }).toEqual({ body, status: 422, loc });
    }
    expect((await t.api('GET', '/do-not-contact?limit=500')).json().items).toHaveLength(before);
  });

  it('lists entries in pages and filters by value, normalized like entries', async () => {
    const all = (await t.api('GET', '/do-not-contact?limit=500')).json().items as Array<{ id: string; value: string }>;
    expect(all.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let url = '/do-not-contact?limit=2';
    for (let page = 0; page < 10; page++) {
      const body = (await t.api('GET', url)).json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((entry: { id: string }) => entry.id));
      if (body.next_cursor === null) break;
      url = `/do-not-contact?limit=2&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(all.map((entry) => entry.id));

    const lookup = async (value: string) =>
      (await t.api('GET', `/do-not-contact?value=${encodeURIComponent(value)}`)).json().items.map((entry: { value: string }) => entry.value);
    expect(await lookup('+1 (415) 555-0123')).toEqual(['+14155550123']);
    expect(await lookup('+44 20 7946 0958')).toEqual(['+442079460958']);
    expect(await lookup('PAT.DOE@EXAMPLE.COM')).toEqual(['pat.doe@example.com']);
    expect(await lookup('A1B2C3D4-0000-4000-8000-00000000C0DE')).toEqual(['a1b2c3d4-0000-4000-8000-00000000c0de']);
    expect(await lookup('+1 415 555 0199')).toEqual([]);
  });

  it("keeps each organization to its own list; another organization's entry is not found", async () => {
    const other = await t.newOrganization();
    const mine = (await t.api('GET', `/do-not-contact?value=${encodeURIComponent('+14155550123')}`)).json().items[0] as { id: string };
    expect((await other.api('GET', '/do-not-contact')).json()).toEqual({ items: [], next_cursor: null });
    expect((await other.api('DELETE', `/do-not-contact/${mine.id}`)).statusCode).toBe(404);
    // The other organization lists the same number on its own.
    const theirs = await other.api('POST', '/do-not-contact', [{ phone: '+14155550123' }]);
    expect(theirs.json()).toMatchObject({ added: [{ value: '+14155550123' }], already_listed: [] });

    const removed = await t.api('DELETE', `/do-not-contact/${mine.id}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ id: mine.id, kind: 'phone', value: '+14155550123' });
    expect((await t.api('DELETE', `/do-not-contact/${mine.id}`)).statusCode).toBe(404);
    expect((await t.api('GET', '/do-not-contact?value=%2B14155550123')).json().items).toEqual([]);
    expect((await other.api('GET', '/do-not-contact?value=%2B14155550123', undefined)).json().items).toHaveLength(1);
    expect((await t.api('DELETE', '/do-not-contact/not-a-uuid')).statusCode).toBe(422);
  });
});

describe('the do-not-contact list in running campaigns', () => {
  it('never dials a number listed after its call was scheduled, promoted or not', async () => {
    clock.set(new Date('2026-11-30T10:00:00Z'));
    const listedCustomer = '7d1f0a5e-3b2c-4d6e-8f90-0a1b2c3d4e5f';
    const id = await createCampaign(t, {
      settings: { call_attempt_delays: [30] },
      targets: [
        // Listed once its first call is promoted (its job waits in Redis).
        { phone: '+14155550111', variables: { calls: ['answered'] } },
        // Listed, by customer id, after its first attempt, while the second is a row due in 30 min.
        { phone: '+14155550112', customer_id: listedCustomer, variables: { calls: ['no_answer', 'answered'] } },
        { phone: '+14155550113', variables: { calls: ['no_answer', 'answered'] } },
      ],
    });
    await start(id);
    // No dialer yet: every first call gets promoted and waits in Redis.
    await eventually(
      () => promotedCalls(id),
      (n) => n === 3,
    );
    const listed = await t.api('POST', '/do-not-contact', [{ phone: '+1 (415) 555-0111' }]);
    expect(listed.json().added).toHaveLength(1);

    const dialer = startTestDialer(t, clock.now);
    try {
      const targets = byPhone(await targetsOf(id));
      const [first, second, control] = ['+14155550111', '+14155550112', '+14155550113'].map((phone) => targets[phone]!.id);
      await eventually(
        () => callsOf(id),
        (calls) => calls.length === 5 && calls.filter((call) => call.status === 'scheduled').length === 2,
      );
      // The second attempts are rows due in 30 minutes, beyond the hopper's horizon: not promoted.
      expect(await promotedCalls(id)).toBe(0);
      expect((await t.api('POST', '/do-not-contact', [{ customer_id: listedCustomer.toUpperCase() }])).json().added).toHaveLength(1);

      clock.advance(30 * 60_000);
      await waitCampaignDone(t, id);
      const calls = await callsOf(id);
      expect(attemptsOf(calls, first!)).toEqual([[1, 'canceled', 'do_not_contact']]);
      expect(attemptsOf(calls, second!)).toEqual([
        [1, 'no_answer', null],
        [2, 'canceled', 'do_not_contact'],
      ]);
      expect(attemptsOf(calls, control!)).toEqual([
        [1, 'no_answer', null],
        [2, 'answered', null],
      ]);
      const dialed = dialer.dials.filter((dial) => dial.data.campaign_id === id).map((dial) => dial.data.phone);
      expect(dialed.sort()).toEqual(['+14155550112', '+14155550113', '+14155550113']);

      const states = byPhone(await targetsOf(id));
      expect([states['+14155550111']!.state, states['+14155550112']!.state, states['+14155550113']!.state]).toEqual([
        'do_not_contact',
        'do_not_contact',
        'goal_met',
      ]);
      const stats = await statsOf(id);
      expect(stats.targets).toMatchObject({ total: 3, do_not_contact: 2, goal_met: 1, by_state: { do_not_contact: 2, goal_met: 1 } });
      expect(stats.calls).toMatchObject({ canceled: 2, no_answer: 2, answered: 1 });
    } finally {
      await dialer.close();
    }
  });

  it('gives a target listed before start no round; a resume reports it skipped; removing the entry restores its state', async () => {
    const before = '+14155550121';
    const later = '+14155550122';
    const entry = (await t.api('POST', '/do-not-contact', [{ phone: before }])).json().added[0] as { id: string };
    const id = await createCampaign(t, {
      settings: { call_attempt_delays: [] },
      targets: [{ phone: before }, { phone: later }, { phone: '+14155550123', variables: { calls: ['answered'] } }],
    });
    const dialer = startTestDialer(t, clock.now);
    try {
      await start(id);
      await waitCampaignDone(t, id);
      let targets = byPhone(await targetsOf(id));
      expect(targets[before]!.state).toBe('do_not_contact');
      expect(targets[later]!.state).toBe('not_answered');
      expect((await t.api('GET', `/campaigns/${id}/calls?target_id=${targets[before]!.id}`)).json().items).toEqual([]);
      expect(
        dialer.dials
          .filter((dial) => dial.data.campaign_id === id)
          .map((dial) => dial.data.phone)
          .sort(),
      ).toEqual([later, '+14155550123']);
      expect((await statsOf(id)).targets).toMatchObject({ do_not_contact: 1, by_state: { do_not_contact: 1, not_answered: 1, goal_met: 1 } });

      // Listed after its round: a resume of its segment selects it and skips it.
      const laterEntry = (await t.api('POST', '/do-not-contact', [{ phone: later }])).json().added[0] as { id: string };
      const resumed = await t.api('POST', `/campaigns/${id}/resume`, { segment: 'not_answered' });
      expect(resumed.statusCode, resumed.body).toBe(200);
      expect(resumed.json()).toMatchObject({
        segment: 'not_answered',
        selected_targets: 1,
        scheduled_calls: 0,
        queued_whatsapp: 0,
        skipped_existing_pending: 0,
        skipped_missing_contact: 1,
        skipped_do_not_contact: 1,
      });
      await waitCampaignDone(t, id);
      targets = byPhone(await targetsOf(id));
      expect(targets[later]!.state).toBe('do_not_contact');
      expect((await statsOf(id)).targets).toMatchObject({ do_not_contact: 2 });
      expect(await t.prisma.call.count({ where: { campaignId: id } })).toBe(2);

      // Off the list again: each gets the state its history gives.
      expect((await t.api('DELETE', `/do-not-contact/${entry.id}`)).statusCode).toBe(200);
      expect((await t.api('DELETE', `/do-not-contact/${laterEntry.id}`)).statusCode).toBe(200);
      targets = byPhone(await targetsOf(id));
      expect([targets[before]!.state, targets[later]!.state]).toEqual(['not_contacted', 'not_answered']);
      expect((await statsOf(id)).targets).toMatchObject({ do_not_contact: 0, by_state: { not_contacted: 1, not_answered: 1, goal_met: 1 } });
    } finally {
      await dialer.close();
    }
  });
});

describe('failing closed', () => {
  it('hands nothing out while the list cannot be checked; the job retries and the call proceeds once it can', async () => {
    const id = await createCampaign(t, { settings: { call_attempt_delays: [] }, targets: [{ phone: '+14155550131' }] });
    await start(id);
    await eventually(
      () => promotedCalls(id),
      (n) => n === 1,
    );
    const [call] = await callsOf(id);
    const callJob = async () =>
      (await t.system.queues.get(QueueName.Calls).getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'])).find(
        (job) => job?.data.call_id === call!.id,
      );

    // A real fault: the list's table is gone from the test's own database.
    await t.system.db.pool.query('ALTER TABLE do_not_contact RENAME TO do_not_contact_off');
    let broken = true;
    const dials: Array<{ data: CallJobData; broken: boolean }> = [];
    const failures: HelperFailure[] = [];
    const dialer = createDialerWorker({
      connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null },
      prefix: t.config.QUEUE_PREFIX,
      claimTimeoutMs: 10_000,
      onError: (_error, failure) => failures.push(failure),
      handler: async (data) => {
        dials.push({ data, broken });
        return { status: 'answered', duration_s: 30 };
      },
    });
    try {
      // The guard could not run: the dialer was told so (the claim failed) and the job failed
      // its first attempt; it waits for BullMQ's retry.
      const failed = await eventually(callJob, (job) => (job?.attemptsMade ?? 0) >= 1);
      expect(await failed!.getState()).toBe('delayed');
      expect(failures.map((failure) => failure.stage)).toContain('claim');
      expect(dials).toEqual([]);
      expect((await callsOf(id))[0]).toMatchObject({ status: 'scheduled', dialing_at: null });

      await t.system.db.pool.query('ALTER TABLE do_not_contact_off RENAME TO do_not_contact');
      broken = false;
      // BullMQ retries it once its backoff has elapsed, which is what promote does.
      await failed!.promote();
      await waitCampaignDone(t, id);
      expect(dials.map((dial) => [dial.data.call_id, dial.broken])).toEqual([[call!.id, false]]);
      expect((await callsOf(id))[0]).toMatchObject({ status: 'answered' });
      expect((await callJob())!.finishedOn).toBeGreaterThan(0);
    } finally {
      if (broken) await t.system.db.pool.query('ALTER TABLE do_not_contact_off RENAME TO do_not_contact');
      await dialer.close();
    }
  });
});

describe('the unknown outcome', () => {
  it('is recorded, ends the round, is never redialed by itself, and has its own count', async () => {
    const id = await createCampaign(t, {
      settings: { call_attempt_delays: [0, 0] },
      targets: [
        { phone: '+14155550141', variables: { calls: ['unknown'] } },
        // The same round without an outcome of unknown: all three attempts.
        { phone: '+14155550142', variables: { calls: ['no_answer', 'no_answer', 'no_answer'] } },
      ],
    });
    const dialer = startTestDialer(t, clock.now);
    try {
      await start(id);
      await waitCampaignDone(t, id);
      // Passes of the hopper after the campaign settled open nothing for it.
      // Three complete passes that started after this point (the one under way may predate it).
      await afterHopperPasses(t, 4);
      const targets = byPhone(await targetsOf(id));
      const calls = await callsOf(id);
      expect(attemptsOf(calls, targets['+14155550141']!.id)).toEqual([[1, 'unknown', null]]);
      expect(calls.find((call) => call.target_id === targets['+14155550141']!.id)!.ended_at).not.toBeNull();
      expect(attemptsOf(calls, targets['+14155550142']!.id)).toHaveLength(3);
      expect(dialer.dials.filter((dial) => dial.data.phone === '+14155550141')).toHaveLength(1);
      expect((await statsOf(id)).calls).toEqual({ unknown: 1, no_answer: 3 });
      expect(await campaignStatus(id)).toBe('done');
    } finally {
      await dialer.close();
    }
  });
});

const decisions = async (decision: string) =>
  (await t.system.deps.metrics.dispatchDecisions.get()).values.find((value) => value.labels.channel === 'call' && value.labels.decision === decision)?.value ??
  0;

describe('dispatch expiry', () => {
  it('does not dial a job handed out past dispatch_expiry_minutes: the call moves to the next window opening and is dialed then', async () => {
    // Wednesday 2026-12-02 11:00 in Paris, inside the default 09:00–19:00 weekday window.
    clock.set(new Date('2026-12-02T10:00:00Z'));
    const expiring = await createCampaign(t, {
      settings: { dispatch_expiry_minutes: 30, call_attempt_delays: [] },
      targets: [{ phone: '+33612345651', timezone: 'Europe/Paris', variables: { calls: ['answered'] } }],
    });
    // The same delay within its expiry (default 60 minutes): dialed late, but dialed.
    const fresh = await createCampaign(t, {
      settings: { call_attempt_delays: [] },
      targets: [{ phone: '+33612345652', timezone: 'Europe/Paris', variables: { calls: ['answered'] } }],
    });
    await start(expiring);
    await start(fresh);
    await eventually(
      async () => (await promotedCalls(expiring)) + (await promotedCalls(fresh)),
      (n) => n === 2,
    );
    const [call] = await callsOf(expiring);
    const dueAt = Date.parse(call!.scheduled_for);

    // Workers that could dial were down for 45 minutes.
    clock.advance(45 * 60_000);
    const holdsBefore = await decisions('hold');
    const dialer = startTestDialer(t, clock.now);
    try {
      await waitCampaignDone(t, fresh);
      const moved = await eventually(
        () => t.prisma.call.findUniqueOrThrow({ where: { id: call!.id } }),
        (row) => row.promotedAt === null && row.scheduledFor.getTime() !== dueAt,
      );
      expect(await decisions('hold')).toBe(holdsBefore + 1);
      // Independent of the code under test: the next opening after 11:45 Paris is Thursday 09:00 Paris.
      const opening = DateTime.fromISO('2026-12-03T09:00', { zone: 'Europe/Paris' }).toJSDate();
      expect(moved).toMatchObject({ status: 'scheduled', scheduledFor: opening });
      expect(dialer.dials.filter((dial) => dial.data.campaign_id === expiring)).toEqual([]);

      clock.set(opening);
      await waitCampaignDone(t, expiring);
      const dials = dialer.dials.filter((dial) => dial.data.campaign_id === expiring);
      expect(dials).toHaveLength(1);
      expect(dials[0]!.at.getTime() - opening.getTime()).toBeGreaterThanOrEqual(0);
      expect(dials[0]!.at.getTime() - opening.getTime()).toBeLessThan(15_000);
      expect(await callsOf(expiring)).toMatchObject([{ id: call!.id, status: 'answered' }]);
    } finally {
      await dialer.close();
    }
  });
});

describe('blackout dates', () => {
  const BLACKOUT = '2026-12-08';
  /** Independent of the code under test: 09:00 <= local time < 17:00, any weekday, not the blackout date. */
  const openAt = (instant: Date, zone: string) => {
    const local = DateTime.fromJSDate(instant, { zone });
    return local.toISODate() !== BLACKOUT && local.hour >= 9 && local.hour < 17;
  };
  /** The earliest open instant at or after `from` (openings fall on whole minutes in every zone). */
  const nextOpen = (from: Date, zone: string): Date => {
    if (openAt(from, zone)) return from;
    for (let ms = Math.ceil(from.getTime() / 60_000) * 60_000, end = ms + 30 * 86_400_000; ms < end; ms += 60_000) {
      if (openAt(new Date(ms), zone)) return new Date(ms);
    }
    throw new Error('no open instant within 30 days');
  };

  it("schedules and dials no call on a date that is a blackout in the target's zone; due times move to the next open window", async () => {
    // Monday 2026-12-07 21:00 UTC: still the 7th in UTC and New York, already the 8th (the
    // blackout date) in Auckland and Kolkata.
    const startAt = new Date('2026-12-07T21:00:00Z');
    clock.set(startAt);
    const targets = [
      { phone: '+64211234561', timezone: 'Pacific/Auckland', variables: { calls: ['answered'] } },
      { phone: '+12125550162', timezone: 'America/New_York', variables: { calls: ['no_answer', 'answered'] } },
      { phone: '+919812345663', timezone: 'Asia/Kolkata', variables: { calls: ['no_answer', 'answered'] } },
      // No zone of its own: the campaign's.
      { phone: '+14155550164', variables: { calls: ['answered'] } },
    ];
    const zoneOf = new Map(targets.map((target) => [target.phone, target.timezone ?? 'Pacific/Auckland']));
    const id = await createCampaign(t, {
      settings: {
        timezone: 'Pacific/Auckland',
        blackout_dates: [BLACKOUT],
        call_attempt_delays: [60],
        call_working_hours: { start: '09:00', end: '17:00', weekdays: [1, 2, 3, 4, 5, 6, 7] },
      },
      targets: targets,
    });
    expect((await t.api('GET', `/campaigns/${id}`)).json().blackout_dates).toEqual([BLACKOUT]);
    const dialer = startTestDialer(t, clock.now);
    try {
      await start(id);
      const phoneOf = new Map((await targetsOf(id)).map((target) => [target.id, target.phone!]));
      const firsts = await eventually(
        async () => (await callsOf(id)).filter((call) => call.attempt === 1),
        (calls) => calls.length === 4,
      );
      for (const call of firsts) {
        const zone = zoneOf.get(phoneOf.get(call.target_id)!)!;
        // Due at start, moved into the window: within a few seconds of the oracle's answer for the start instant.
        expect(Math.abs(Date.parse(call.scheduled_for) - nextOpen(startAt, zone).getTime())).toBeLessThan(10_000);
      }
      // Auckland's Tuesday 10:00 is inside its hours but a blackout there (not in UTC): Wednesday 09:00 instead.
      expect(nextOpen(startAt, 'Pacific/Auckland').toISOString()).toBe('2026-12-08T20:00:00.000Z');

      // Drive time from due time to due time until the campaign is done, noting each call's
      // planned due time while it lies ahead (promotion rewrites a due time that just passed).
      const planned = new Map<string, Date>();
      const settled = () =>
        eventually(
          async () => ({
            dialing: await t.prisma.call.count({ where: { campaignId: id, status: 'dialing' } }),
            due: await t.prisma.call.count({ where: { campaignId: id, status: 'scheduled', scheduledFor: { lte: clock.now() } } }),
          }),
          ({ dialing, due }) => dialing === 0 && due === 0,
        );
      for (let step = 0; step < 20 && (await campaignStatus(id)) !== 'done'; step++) {
        // Calls due now are dialed at this time before it moves on (at step 0, the first calls).
        await settled();
        const ahead = await t.prisma.call.findMany({ where: { campaignId: id, status: 'scheduled', scheduledFor: { gt: clock.now() } } });
        for (const call of ahead) planned.set(call.id, call.scheduledFor);
        const next = await t.prisma.call.findFirst({ where: { campaignId: id, status: 'scheduled' }, orderBy: { scheduledFor: 'asc' } });
        if (next && next.scheduledFor > clock.now()) clock.set(next.scheduledFor);
        await settled();
      }
      expect(await campaignStatus(id)).toBe('done');

      const calls = await callsOf(id);
      expect(calls).toHaveLength(6);
      for (const call of calls) {
        const zone = zoneOf.get(phoneOf.get(call.target_id)!)!;
        expect({ call: call.id, zone, scheduled: call.scheduled_for, open: openAt(new Date(call.scheduled_for), zone) }).toMatchObject({ open: true });
        if (call.attempt === 2) {
          const previous = calls.find((other) => other.target_id === call.target_id && other.attempt === 1)!;
          const expected = nextOpen(new Date(Date.parse(previous.ended_at!) + 60 * 60_000), zone);
          expect(planned.get(call.id) ?? new Date(call.scheduled_for)).toEqual(expected);
        }
      }
      const zoneOfCall = new Map(calls.map((call) => [call.id, zoneOf.get(phoneOf.get(call.target_id)!)!]));
      for (const [callId, at] of planned) expect({ callId, at, open: openAt(at, zoneOfCall.get(callId)!) }).toMatchObject({ open: true });
      // New York's retry, due Monday 17:00 there, skips its blackout Tuesday.
      const newYork = calls.find((call) => phoneOf.get(call.target_id) === '+12125550162' && call.attempt === 2)!;
      expect(planned.get(newYork.id)).toEqual(new Date('2026-12-09T14:00:00.000Z'));

      const dials = dialer.dials.filter((dial) => dial.data.campaign_id === id);
      expect(dials).toHaveLength(6);
      for (const dial of dials) {
        const zone = zoneOf.get(dial.data.phone)!;
        const local = DateTime.fromJSDate(dial.at, { zone });
        expect({ phone: dial.data.phone, local: local.toISO(), open: openAt(dial.at, zone) }).toMatchObject({ open: true });
      }
    } finally {
      await dialer.close();
    }
  });
});
