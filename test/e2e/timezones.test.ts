import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { eventually } from '../support/poll.js';
import { createCampaign } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// Monday 2026-11-30 08:30 UTC.
const clock = createTestClock(new Date('2026-11-30T08:30:00Z'));
let t: TestSystem;
let dialer: ReturnType<typeof startTestDialer>;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '150' }, 'all', { clock: clock.now });
  dialer = startTestDialer(t, clock.now);
});
afterAll(async () => {
  await dialer?.close();
  await t?.close();
});

/** Independent of the code under test: local weekday Monday–Friday, 09:00 <= local time < 17:00. */
function insideLocalWindow(instant: Date, zone: string): boolean {
  const local = DateTime.fromJSDate(instant, { zone });
  const minutes = local.hour * 60 + local.minute;
  return local.weekday <= 5 && minutes >= 9 * 60 && minutes < 17 * 60;
}

describe('a campaign across time zones', () => {
  it("runs to done against the dialer, every call inside its target's local working hours", async () => {
    const script = ['no_answer', 'busy', 'answered'];
    const targets = [
      { phone: '+33612345601', timezone: 'Europe/Paris', variables: { calls: script } },
      { phone: '+12125550102', timezone: 'America/New_York', variables: { calls: script } },
      { phone: '+81312345603', timezone: 'Asia/Tokyo', variables: { calls: script } },
      { phone: '+919812345604', timezone: 'Asia/Kolkata', variables: { calls: ['no_answer', 'no_answer', 'no_answer'] } },
      { phone: '+61212345605', timezone: 'Australia/Adelaide', variables: { calls: script } },
      // No zone of its own: the campaign's (Los Angeles) applies.
      { phone: '+14155550106', variables: { calls: script } },
    ];
    const id = await createCampaign(t, {
      settings: {
        timezone: 'America/Los_Angeles',
        call_attempt_delays: [60, 24 * 60],
        call_working_hours: { start: '09:00', end: '17:00', weekdays: [1, 2, 3, 4, 5] },
      },
      targets: targets,
      start: true,
    });

    // Drive time forward from due time to due time until the campaign is done.
    for (let step = 0; step < 40; step++) {
      const status = (await t.api('GET', `/campaigns/${id}`)).json().status;
      if (status === 'done') break;
      const next = await t.prisma.call.findFirst({
        where: { campaignId: id, status: { in: ['scheduled', 'dialing'] } },
        orderBy: { scheduledFor: 'asc' },
      });
      if (next && next.status === 'scheduled' && next.scheduledFor > clock.now()) clock.set(next.scheduledFor);
      await eventually(
        () =>
          t.prisma.call.count({ where: { campaignId: id, status: { in: ['dialing'] } } }).then(async (dialing) => ({
            dialing,
            due: await t.prisma.call.count({ where: { campaignId: id, status: 'scheduled', scheduledFor: { lte: clock.now() } } }),
          })),
        ({ dialing, due }) => dialing === 0 && due === 0,
      );
    }
    expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe('done');

    const zoneOf = new Map(targets.map((target) => [target.phone, target.timezone ?? 'America/Los_Angeles']));
    const dials = dialer.dials.filter((dial) => dial.data.campaign_id === id);
    expect(dials).toHaveLength(6 * 3);
    for (const dial of dials) {
      const zone = zoneOf.get(dial.data.phone)!;
      expect({ phone: dial.data.phone, at: dial.at.toISOString(), inside: insideLocalWindow(dial.at, zone) }).toMatchObject({ inside: true });
    }

    const calls = (await t.api('GET', `/campaigns/${id}/calls?limit=100`)).json().items as Array<{
      target_id: string;
      attempt: number;
      scheduled_for: string;
      ended_at: string;
      status: string;
    }>;
    const byTarget = new Map<string, typeof calls>();
    for (const call of calls) byTarget.set(call.target_id, [...(byTarget.get(call.target_id) ?? []), call]);
    for (const attempts of byTarget.values()) {
      attempts.sort((a, b) => a.attempt - b.attempt);
      expect(attempts.map((call) => call.attempt)).toEqual([1, 2, 3]);
      // Each retry waits at least its delay after the unanswered attempt ended.
      expect(Date.parse(attempts[1]!.scheduled_for) - Date.parse(attempts[0]!.ended_at)).toBeGreaterThanOrEqual(60 * 60_000);
      expect(Date.parse(attempts[2]!.scheduled_for) - Date.parse(attempts[1]!.ended_at)).toBeGreaterThanOrEqual(24 * 60 * 60_000);
    }
    const states = (await t.api('GET', `/campaigns/${id}/stats`)).json().targets.by_state;
    expect(states).toEqual({ goal_met: 5, not_answered: 1 });
  });
});
