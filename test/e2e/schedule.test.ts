import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/poll.js';

/*
 * A campaign's schedule (`starts_at`, `ends_at`; docs/product.md "Campaign schedule") through the
 * API, with the helper dialer, on a test clock.
 */

// Monday 2026-11-30 10:00 UTC: inside the default 09:00–19:00 weekday window.
const T0 = Date.parse('2026-11-30T10:00:00Z');
const clock = createTestClock(new Date(T0));
let t: TestSystem;
let dialer: ReturnType<typeof startTestDialer>;

beforeAll(async () => {
  // Work is promoted to Redis only once due (a one-second horizon), so moving the clock makes it due.
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1' }, 'all', { clock: clock.now });
  dialer = startTestDialer(t, clock.now);
});
afterAll(async () => {
  await dialer?.close();
  await t?.close();
});

const at = (ms: number) => new Date(ms).toISOString();
type CallRow = { target_id: string; status: string; scheduled_for: string; dialing_at: string | null; cancel_reason?: string | null };
const callsOf = async (id: string) => (await t.api('GET', `/campaigns/${id}/calls?limit=500`)).json().items as CallRow[];
const hopperPasses = async () => metricValue((await t.api('GET', '/metrics')).body, 'campaign_hopper_passes_total');

describe('starts_at', () => {
  it('dials nothing before it: a campaign started ten seconds ahead runs, and calls once its start comes', async () => {
    const startsAt = clock.now().getTime() + 10_000;
    const id = await createCampaign(t, {
      settings: { starts_at: at(startsAt) },
      targets: [
        { phone: '+14155550301', variables: { calls: ['answered'] } },
        { phone: '+14155550302', variables: { calls: ['answered'] } },
      ],
      start: true,
    });
    expect((await t.api('GET', `/campaigns/${id}`)).json()).toMatchObject({ status: 'running', starts_at: at(startsAt), ends_at: null });
    const scheduled = (await waitCalls(t, id, 2)) as CallRow[];
    expect(scheduled.map((call) => call.scheduled_for)).toEqual([at(startsAt), at(startsAt)]);
    // Three hopper passes after the rounds opened, and the clock still before starts_at: nothing dialed.
    const passes = await hopperPasses();
    await eventually(hopperPasses, (n) => n >= passes + 3);
    expect((await callsOf(id)).map((call) => call.status)).toEqual(['scheduled', 'scheduled']);
    expect(dialer.dials.filter((dial) => dial.data.campaign_id === id)).toEqual([]);

    clock.advance(10_000);
    await waitCampaignDone(t, id);
    const calls = await callsOf(id);
    expect(calls.map((call) => call.status)).toEqual(['answered', 'answered']);
    for (const call of calls) expect(Date.parse(call.dialing_at!)).toBeGreaterThanOrEqual(startsAt);
  });
  it('holds a first WhatsApp message until it too', async () => {
    const startsAt = clock.now().getTime() + 60_000;
    const id = await createCampaign(t, {
      settings: { starts_at: at(startsAt), whatsapp_channel_id: '6c3a1c0e-2f7b-4c55-9a51-0d0f6c1b2a33', whatsapp_first_message: 'Hello' },
      targets: [{ whatsapp: '+14155550309' }],
      start: true,
    });
    const message = await eventually(
      () => t.prisma.whatsappMessage.findFirst({ where: { campaignId: id } }),
      (row) => row !== null,
    );
    expect(message!.scheduledFor.toISOString()).toBe(at(startsAt));
  });
});

describe('ends_at', () => {
  it('schedules no attempt at or after it, then completes the campaign by itself with nothing pending', async () => {
    const now = clock.now().getTime();
    const endsAt = now + 60 * 60_000;
    const id = await createCampaign(t, {
      settings: { call_attempt_delays: [45, 45], ends_at: at(endsAt) },
      targets: [
        // Retried 45 minutes after its first call; a third attempt would fall after the end.
        { phone: '+14155550303', variables: { calls: ['no_answer', 'no_answer', 'answered'] } },
        // 05:00 in New York: its first call waits for 09:00 there, after the campaign's end.
        { phone: '+14155550304', timezone: 'America/New_York' },
      ],
      start: true,
    });
    await eventually(
      () => callsOf(id),
      (calls) => calls.length === 3 && calls.some((call) => call.status === 'no_answer'),
    );
    clock.advance(45 * 60_000);
    const [first, second] = await eventually(
      async () => (await callsOf(id)).filter((call) => call.scheduled_for !== at(Date.parse('2026-11-30T14:00:00Z'))),
      (calls) => calls.length === 2 && calls.every((call) => call.status === 'no_answer'),
    );
    expect([first!.status, second!.status]).toEqual(['no_answer', 'no_answer']);
    // The round ended instead of scheduling a call past ends_at; the campaign still runs (the other target waits).
    const targets = (await t.api('GET', `/campaigns/${id}/targets`)).json().items as Array<{ phone: string; state: string }>;
    expect(targets.find((target) => target.phone === '+14155550303')!.state).toBe('not_answered');
    expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe('running');

    clock.advance(15 * 60_000);
    await waitCampaignDone(t, id);
    const calls = await callsOf(id);
    expect(calls.filter((call) => call.status === 'scheduled')).toEqual([]);
    expect(calls.find((call) => call.target_id !== first!.target_id)).toMatchObject({ status: 'canceled' });
    for (const call of calls) expect(Date.parse(call.dialing_at ?? call.scheduled_for)).toBeLessThan(endsAt + 9 * 3600_000);
    const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
    expect(stats.targets.with_pending_work).toBe(0);
    expect(stats.calls.scheduled ?? 0).toBe(0);
    const events = (await t.api('GET', `/campaigns/${id}/events`)).json().items as Array<Record<string, unknown>>;
    expect(events.at(-1)).toMatchObject({ command: 'scheduled_end', from: 'running', to: 'done', actor: 'system', reason: 'ends_at' });
    expect(metricValue((await t.api('GET', '/metrics')).body, 'campaign_scheduled_ends_total')).toBeGreaterThanOrEqual(1);
  });

  it('ends a paused campaign too', async () => {
    const id = await createCampaign(t, {
      settings: { ends_at: at(clock.now().getTime() + 60_000) },
      targets: [{ phone: '+14155550305', timezone: 'America/New_York' }],
      start: true,
    });
    await waitCalls(t, id, 1);
    expect((await t.api('POST', `/campaigns/${id}/pause`)).statusCode).toBe(200);
    clock.advance(60_000);
    await waitCampaignDone(t, id);
    expect((await callsOf(id)).map((call) => call.status)).toEqual(['canceled']);
    const events = (await t.api('GET', `/campaigns/${id}/events`)).json().items as Array<Record<string, unknown>>;
    expect(events.at(-1)).toMatchObject({ command: 'scheduled_end', from: 'paused', to: 'done', reason: 'ends_at' });
  });
});

describe('the schedule fields', () => {
  const agent = '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10';

  it('refuses ends_at at or before starts_at with 422 at ends_at, on create and on PATCH against the stored start', async () => {
    const starts = at(clock.now().getTime() + 3600_000);
    const created = await t.api('POST', '/campaigns', { name: 'schedule', agent_id: agent, starts_at: starts, ends_at: starts });
    expect(created.statusCode).toBe(422);
    expect(created.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'ends_at'], msg: 'must be after starts_at' })]);

    const id = await createCampaign(t, { settings: { starts_at: starts } });
    const patched = await t.api('PATCH', `/campaigns/${id}`, { ends_at: at(clock.now().getTime() + 60_000) });
    expect(patched.statusCode).toBe(422);
    expect(patched.json().detail).toEqual([{ loc: ['body', 'ends_at'], msg: 'must be after starts_at', type: 'schedule_order' }]);
    const ends = at(clock.now().getTime() + 60_000);
    const cleared = await t.api('PATCH', `/campaigns/${id}`, { starts_at: null, ends_at: ends });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ starts_at: null, ends_at: ends });
  });

  it('refuses a date-time without an offset, or outside the years an instant may take', async () => {
    for (const [value, type] of [
      ['2027-01-04T09:00:00', 'invalid_format'],
      ['0001-01-01T00:00:00Z', 'datetime_out_of_range'],
    ]) {
      const created = await t.api('POST', '/campaigns', { name: 'schedule', agent_id: agent, starts_at: value });
      expect(created.statusCode).toBe(422);
      expect(created.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'starts_at'], type })]);
    }
  });

  it('refuses to start a campaign whose ends_at has passed (422), and leaves it a draft', async () => {
    const id = await createCampaign(t, { settings: { ends_at: at(clock.now().getTime() + 60_000) }, targets: [{ phone: '+14155550306' }] });
    clock.advance(60_000);
    const started = await t.api('POST', `/campaigns/${id}/start`);
    expect(started.statusCode).toBe(422);
    expect(started.json().detail).toEqual([expect.objectContaining({ loc: ['campaign', 'ends_at'], type: 'schedule_ended' })]);
    expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe('draft');
    expect((await t.api('PATCH', `/campaigns/${id}`, { ends_at: null })).statusCode).toBe(200);
    expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
  });
});
