import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/poll.js';

/*
 * Contact caps across campaigns (`PUT /contact-policy`, docs/product.md "Contact caps and
 * opt-outs") through the API: with the helper dialer on a test clock, and with plain HTTP
 * claims racing for one number.
 */

// Monday 2026-11-30 10:00 UTC: inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;

beforeAll(async () => {
  // Work is promoted to Redis only once due (a one-second horizon), so moving the clock makes it due.
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

type CallRow = { id: string; status: string; scheduled_for: string; dialing_at: string | null };
const callsOf = async (id: string, api = t.api) => (await api('GET', `/campaigns/${id}/calls`)).json().items as CallRow[];
const heldIn = async (id: string, api = t.api) => (await api('GET', `/campaigns/${id}/stats`)).json().contact_rules.calls_held_by_caps as number;

describe('GET and PUT /contact-policy', () => {
  it('answers the defaults, then the policy as stored', async () => {
    const org = await t.newOrganization();
    expect((await org.api('GET', '/contact-policy')).json()).toEqual({
      max_calls_per_contact: [],
      opt_out_keywords: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'],
      updated_at: null,
    });
    const put = await org.api('PUT', '/contact-policy', {
      max_calls_per_contact: [
        { hours: 168, max: 7 },
        { hours: 24, max: 3 },
      ],
      opt_out_keywords: [' arrêt ', 'Stop', 'STOP'],
    });
    expect(put.statusCode).toBe(200);
    const stored = {
      max_calls_per_contact: [
        { hours: 24, max: 3 },
        { hours: 168, max: 7 },
      ],
      opt_out_keywords: ['ARRÊT', 'STOP'],
      updated_at: clock.now().toISOString(),
    };
    expect(put.json()).toEqual({ ...stored, updated_at: expect.any(String) });
    expect((await org.api('GET', '/contact-policy')).json()).toEqual(put.json());
    // Another organization's policy is its own.
    expect((await t.api('GET', '/contact-policy')).json().updated_at).toBeNull();
  });

  it.each([
    ['a cap of zero calls', { max_calls_per_contact: [{ hours: 24, max: 0 }] }, ['body', 'max_calls_per_contact', 0, 'max']],
    ['a window past 31 days', { max_calls_per_contact: [{ hours: 745, max: 3 }] }, ['body', 'max_calls_per_contact', 0, 'hours']],
    [
      'two caps of the same hours',
      {
        max_calls_per_contact: [
          { hours: 24, max: 3 },
          { hours: 24, max: 2 },
        ],
      },
      ['body', 'max_calls_per_contact'],
    ],
    ['a field of its own', { max_calls_per_contact: [], calls_per_day: 3 }, ['body']],
    ['a blank keyword', { opt_out_keywords: ['  '] }, ['body', 'opt_out_keywords', 0]],
    ['no keyword at all', { opt_out_keywords: [] }, ['body', 'opt_out_keywords']],
  ])('refuses %s with 422 at the field', async (_, body, loc) => {
    const answer = await t.api('PUT', '/contact-policy', body);
    expect(answer.statusCode).toBe(422);
    expect((answer.json().detail as Array<{ loc: unknown[] }>).map((detail) => detail.loc)).toContainEqual(loc);
  });
});

describe('a number in three campaigns of one organization, with the helper dialer', () => {
  it('is called no more than the cap allows, then again when the cap frees', async () => {
    const org = await t.newOrganization();
    expect((await org.api('PUT', '/contact-policy', { max_calls_per_contact: [{ hours: 24, max: 2 }] })).statusCode).toBe(200);
    const dialer = startTestDialer(t, clock.now);
    try {
      const headers = { 'x-api-key': org.apiKey };
      const target = { phone: '+14155550401', variables: { calls: ['answered'] } };
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await createCampaign(t, { settings: { name: `caps ${i}` }, targets: [target], start: true, headers }));
      // Two dialed, the third held by the cap until the first dial is a day old.
      const held = await eventually(
        async () => Promise.all(ids.map((id) => heldIn(id, org.api))),
        (counts) => counts.reduce((sum, n) => sum + n, 0) === 1,
      ).catch(async (error: Error) => {
        throw new Error(
          `${error.message}; dials ${JSON.stringify(dialer.dials)}; calls ${JSON.stringify(await Promise.all(ids.map((id) => callsOf(id, org.api))))}`,
        );
      });
      const heldCampaign = ids[held.indexOf(1)]!;
      const dialed = ids.filter((id) => id !== heldCampaign);
      for (const id of dialed) await waitCampaignDone({ ...t, api: org.api }, id);
      expect(dialer.dials).toHaveLength(2);
      // The cap counts claim times (dialing_at), which the helper's handler follows closely.
      const dialedCalls = (await Promise.all(dialed.map((id) => callsOf(id, org.api)))).flat();
      const firstDial = Math.min(...dialedCalls.map((call) => Date.parse(call.dialing_at!)));
      const [waiting] = await callsOf(heldCampaign, org.api);
      expect(waiting).toMatchObject({ status: 'scheduled', dialing_at: null, scheduled_for: new Date(firstDial + 24 * 3600_000).toISOString() });
      expect((await org.api('GET', `/campaigns/${heldCampaign}`)).json().status).toBe('running');
      expect(metricValue((await t.api('GET', '/metrics')).body, 'campaign_contact_cap_holds_total')).toBeGreaterThanOrEqual(1);

      clock.advance(24 * 3600_000);
      await waitCampaignDone({ ...t, api: org.api }, heldCampaign);
      expect(dialer.dials).toHaveLength(3);
      expect(dialer.dials[2]!.at.getTime()).toBeGreaterThanOrEqual(firstDial + 24 * 3600_000);
      expect(await heldIn(heldCampaign, org.api)).toBe(0);
    } finally {
      await dialer.close();
    }
  });
});

describe('two campaigns racing for one number over HTTP', () => {
  it('let only one claim through: the other call is held (409), fail closed', async () => {
    const org = await t.newOrganization();
    await org.api('PUT', '/contact-policy', { max_calls_per_contact: [{ hours: 24, max: 1 }] });
    const headers = { 'x-api-key': org.apiKey };
    const ids = [
      await createCampaign(t, { settings: { name: 'race a' }, targets: [{ phone: '+14155550402' }], start: true, headers }),
      await createCampaign(t, { settings: { name: 'race b' }, targets: [{ phone: '+14155550402' }], start: true, headers }),
    ];
    const calls = await Promise.all(
      ids.map(async (id) => {
        const [call] = await eventually(
          () => callsOf(id, org.api),
          (rows) => rows.length === 1,
        );
        return eventually(
          () => t.prisma.call.findUnique({ where: { id: call!.id } }),
          (row) => row?.promotedAt != null,
        );
      }),
    );
    const answers = await Promise.all(calls.map((call) => org.api('POST', `/calls/${call!.id}/claim`, { promotion: call!.promotion })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 409]);
    const refused = answers.find((answer) => answer.statusCode === 409)!;
    expect(refused.json().detail).toBe('Do not dial now (contact_cap): the call is handed out again later; acknowledge the job.');
    const heldCampaign = ids[answers.indexOf(refused)]!;
    expect(await heldIn(heldCampaign, org.api)).toBe(1);
  });
});
