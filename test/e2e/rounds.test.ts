import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer, startTestSender } from '../support/contacts.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// Monday 2026-11-30 10:00 UTC: inside a 09:00–19:00 weekday window in UTC.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
let dialer: ReturnType<typeof startTestDialer>;
let sender: ReturnType<typeof startTestSender>;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
  dialer = startTestDialer(t, clock.now);
  sender = startTestSender(t, (data) => data.whatsapp.endsWith('77'));
});
afterAll(async () => {
  await dialer?.close();
  await sender?.close();
  await t?.close();
});

const WHATSAPP_CHANNEL = '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02';

async function run(settings: Record<string, unknown>, targets: Array<Record<string, unknown>>) {
  const id = await createCampaign(t, { settings, targets, start: true });
  await waitCampaignDone(t, id);
  const calls = (await t.api('GET', `/campaigns/${id}/calls?limit=500`)).json().items as Array<Record<string, unknown>>;
  const targetRows = (await t.api('GET', `/campaigns/${id}/targets?limit=500`)).json().items as Array<Record<string, unknown>>;
  const events = (await t.api('GET', `/campaigns/${id}/events`)).json().items as Array<Record<string, unknown>>;
  const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
  return { id, calls, targets: targetRows, events, stats };
}

const callsOf = (calls: Array<Record<string, unknown>>, targetId: unknown) =>
  calls.filter((call) => call.target_id === targetId).map((call) => [call.attempt, call.status]);

describe('contact rounds through a real dialer', () => {
  it('retries unanswered calls along the delays, then ends exhausted; the campaign completes by itself', async () => {
    const { calls, targets, events } = await run({ call_attempt_delays: [0, 0] }, [{ phone: '+14155550101' }]);
    expect(callsOf(calls, targets[0]!.id)).toEqual([
      [1, 'no_answer'],
      [2, 'no_answer'],
      [3, 'no_answer'],
    ]);
    expect(targets[0]!.state).toBe('not_answered');
    expect(events.at(-1)).toMatchObject({ command: 'auto_complete', from: 'running', to: 'done', actor: 'system' });
  });

  it('schedules the next attempt call_attempt_delays[k-1] minutes after the unanswered one', async () => {
    const id = await createCampaign(t, { settings: { call_attempt_delays: [30] }, targets: [{ phone: '+14155550102' }], start: true });
    const [first, second] = await waitCalls(t, id, 2);
    expect(first.status).toBe('no_answer');
    expect(second).toMatchObject({ attempt: 2, status: 'scheduled' });
    expect(Date.parse(second.scheduled_for) - Date.parse(first.ended_at)).toBe(30 * 60_000);
    clock.advance(30 * 60_000);
    await waitCampaignDone(t, id);
  });

  it('ends the round when the target is reached; no objectives means reached is the goal', async () => {
    const { calls, targets } = await run({ call_attempt_delays: [0, 0, 0] }, [{ phone: '+14155550103', variables: { calls: ['busy', 'answered'] } }]);
    expect(callsOf(calls, targets[0]!.id)).toEqual([
      [1, 'busy'],
      [2, 'answered'],
    ]);
    expect(targets[0]!.state).toBe('goal_met');
  });

  it('ends the round on a failed call, and never redials an unknown outcome', async () => {
    const { calls, targets } = await run({ call_attempt_delays: [0, 0] }, [
      { phone: '+14155550104', variables: { calls: ['failed'] } },
      { phone: '+14155550105', variables: { calls: ['unknown'] } },
    ]);
    const byPhone = Object.fromEntries(targets.map((target) => [target.phone, target]));
    expect(callsOf(calls, byPhone['+14155550104']!.id)).toEqual([[1, 'failed']]);
    expect(byPhone['+14155550104']!.state).toBe('failed');
    expect(callsOf(calls, byPhone['+14155550105']!.id)).toEqual([[1, 'unknown']]);
    expect(byPhone['+14155550105']!.state).toBe('not_answered');
  });

  it('falls back to WhatsApp after whatsapp_after_attempts unanswered calls', async () => {
    const { id, calls, targets } = await run(
      { call_attempt_delays: [0, 0, 0], whatsapp_after_attempts: 2, whatsapp_channel_id: WHATSAPP_CHANNEL, whatsapp_first_message: 'Hi!' },
      [{ phone: '+14155550106', whatsapp: '+14155550106' }],
    );
    expect(callsOf(calls, targets[0]!.id)).toEqual([
      [1, 'no_answer'],
      [2, 'no_answer'],
    ]);
    const message = sender.sent.find((data) => data.campaign_id === id);
    expect(message).toMatchObject({ kind: 'fallback', whatsapp: '+14155550106', text: 'Hi!', whatsapp_channel_id: WHATSAPP_CHANNEL });
    expect(targets[0]!.state).toBe('not_answered');
  });

  it('falls back after the last attempt when whatsapp_after_attempts exceeds the round', async () => {
    const { id, calls, targets } = await run({ call_attempt_delays: [0], whatsapp_after_attempts: 5, whatsapp_channel_id: WHATSAPP_CHANNEL }, [
      { phone: '+14155550107', whatsapp: '+14155550107' },
    ]);
    expect(callsOf(calls, targets[0]!.id)).toHaveLength(2);
    expect(sender.sent.filter((data) => data.campaign_id === id).map((data) => data.kind)).toEqual(['fallback']);
  });

  it('opens a WhatsApp-first round with a message, then calls, and sends no fallback', async () => {
    const { id, calls, targets } = await run(
      { call_attempt_delays: [0, 0], whatsapp_after_attempts: 1, whatsapp_channel_id: WHATSAPP_CHANNEL, first_contact_channel: 'whatsapp' },
      [{ phone: '+14155550108', whatsapp: '+14155550108' }],
    );
    expect(sender.sent.filter((data) => data.campaign_id === id).map((data) => data.kind)).toEqual(['first']);
    expect(callsOf(calls, targets[0]!.id)).toHaveLength(3);
  });

  it('counts a WhatsApp reply as reaching the target: pending calls are canceled', async () => {
    const { calls, targets } = await run({ call_attempt_delays: [600], whatsapp_channel_id: WHATSAPP_CHANNEL, first_contact_channel: 'whatsapp' }, [
      { phone: '+14155550109', whatsapp: '+14155550177' },
    ]);
    expect(targets[0]!.state).toBe('goal_met');
    // The reply may land before or after attempt 1; attempt 2 (10 hours later) never happens.
    expect(calls.filter((call) => call.status === 'scheduled')).toEqual([]);
    expect(calls.length).toBeLessThanOrEqual(2);
  });

  it('rounds only WhatsApp for a target without a phone; no contact at all means no round', async () => {
    const { stats, targets } = await run({ whatsapp_channel_id: WHATSAPP_CHANNEL }, [{ whatsapp: '+14155550110' }, { email: 'nobody@example.com' }]);
    const byContact = Object.fromEntries(targets.map((target) => [target.whatsapp ?? target.email, target.state]));
    expect(byContact).toEqual({ '+14155550110': 'not_answered', 'nobody@example.com': 'not_contacted' });
    expect(stats.whatsapp_messages).toEqual({ sent: 1 });
    expect(stats.calls).toEqual({});
  });
});

describe('goals', () => {
  const AI_GOOD = { status: 'answered', ai_label: 'positive', ai_score: 0.9 };
  const AI_WEAK = { status: 'answered', ai_label: 'positive', ai_score: 0.4 };

  it('ai objective: a label in label_in with at least min_score', async () => {
    const { targets } = await run({ goal_spec: { objectives: [{ type: 'ai', label_in: ['positive'], min_score: 0.8 }] } }, [
      { phone: '+14155550111', variables: { calls: [AI_GOOD] } },
      { phone: '+14155550112', variables: { calls: [AI_WEAK] } },
    ]);
    const byPhone = Object.fromEntries(targets.map((target) => [target.phone, target.state]));
    expect(byPhone).toEqual({ '+14155550111': 'goal_met', '+14155550112': 'unresolved' });
  });

  it('all needs every objective; an email reported later completes it', async () => {
    const id = await createCampaign(t, {
      settings: {
        goal_logic: 'all',
        goal_spec: {
          objectives: [
            { type: 'contact', channels: ['call'] },
            { type: 'email', min_count: 1 },
          ],
        },
      },
      targets: [{ phone: '+14155550113', variables: { calls: ['answered'] } }],
      start: true,
    });
    await waitCampaignDone(t, id);
    const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect(target.state).toBe('unresolved');
    const reported = await t.api('POST', `/campaigns/${id}/targets/${target.id}/events`, { type: 'email_sent' });
    expect(reported.json()).toEqual({ target_state: 'goal_met' });
  });

  it('any needs one objective: an AI evaluation reported for the target meets it mid-round', async () => {
    const id = await createCampaign(t, {
      settings: {
        goal_logic: 'any',
        call_attempt_delays: [600],
        goal_spec: {
          objectives: [
            { type: 'email', min_count: 2 },
            { type: 'ai', min_score: 0.5 },
          ],
        },
      },
      targets: [{ phone: '+14155550114' }],
      start: true,
    });
    const [, second] = await waitCalls(t, id, 2);
    expect(second.status).toBe('scheduled');
    const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect((await t.api('POST', `/campaigns/${id}/targets/${target.id}/events`, { type: 'email_sent' })).json()).toEqual({ target_state: 'not_answered' });
    const met = await t.api('POST', `/campaigns/${id}/targets/${target.id}/events`, { type: 'ai_evaluation', label: 'neutral', score: 0.6 });
    expect(met.json()).toEqual({ target_state: 'goal_met' });
    const calls = (await t.api('GET', `/campaigns/${id}/calls`)).json().items;
    expect(calls[1]).toMatchObject({ status: 'canceled', cancel_reason: 'goal_met' });
    await waitCampaignDone(t, id);
  });
});
