import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

/*
 * Retry rules per outcome (`call_retry_policy`, docs/product.md "Contact rounds") through the
 * API, with the helper dialer and with a plain BullMQ dialer claiming and reporting over HTTP.
 */

// Monday 2026-11-30 10:00 UTC: inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
let baseUrl: string;

beforeAll(async () => {
  // Work is promoted to Redis only once due (a one-second horizon), so moving the clock makes it due.
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1' }, 'all', { clock: clock.now });
  await t.system.app!.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`;
});
afterAll(() => t?.close());

type CallRow = { target_id: string; attempt: number; status: string; scheduled_for: string; ended_at: string | null };
const callsOf = async (id: string) => (await t.api('GET', `/campaigns/${id}/calls?limit=500`)).json().items as CallRow[];
const targetsOf = async (id: string) =>
  (await t.api('GET', `/campaigns/${id}/targets?limit=500`)).json().items as Array<{ id: string; phone: string; state: string }>;

/** A started campaign of one target, run to done: the target and its calls as [attempt, status]. */
async function runOneTarget(settings: Record<string, unknown>, target: Record<string, unknown>) {
  const id = await createCampaign(t, { settings, targets: [target], start: true });
  await waitCampaignDone(t, id);
  const [row] = await targetsOf(id);
  const attempts = (await callsOf(id)).filter((call) => call.target_id === row!.id).map((call) => [call.attempt, call.status]);
  return { target: row!, attempts };
}

describe('a busy line with the helper dialer', () => {
  let dialer: ReturnType<typeof startTestDialer>;
  beforeAll(() => {
    dialer = startTestDialer(t, clock.now);
  });
  afterAll(() => dialer?.close());

  it('is retried on its own delay, as many times as its rule says, within the round budget', async () => {
    const { target, attempts } = await runOneTarget(
      { call_attempt_delays: [60, 60, 60], call_retry_policy: { busy: { delay_minutes: 0, max_retries: 2 } } },
      { phone: '+14155550201', variables: { calls: ['busy', 'busy', 'busy', 'busy'] } },
    );
    // Attempt 1 and two retries; the fourth attempt of the budget is never used for busy.
    expect(attempts).toEqual([
      [1, 'busy'],
      [2, 'busy'],
      [3, 'busy'],
    ]);
    expect(target.state).toBe('not_answered');
  });

  it('waits its rule delay after a busy line, and the campaign delay after an outcome without a rule', async () => {
    const id = await createCampaign(t, {
      settings: { call_attempt_delays: [60, 60], call_retry_policy: { busy: { delay_minutes: 5, max_retries: 3 } } },
      targets: [{ phone: '+14155550202', variables: { calls: ['busy', 'no_answer', 'answered'] } }],
      start: true,
    });
    const [busy, afterBusy] = (await waitCalls(t, id, 2)) as CallRow[];
    expect(busy!.status).toBe('busy');
    expect(Date.parse(afterBusy!.scheduled_for) - Date.parse(busy!.ended_at!)).toBe(5 * 60_000);
    clock.advance(5 * 60_000);
    const calls = (await waitCalls(t, id, 3)) as CallRow[];
    const [, noAnswer, afterNoAnswer] = calls;
    expect(noAnswer!.status).toBe('no_answer');
    expect(Date.parse(afterNoAnswer!.scheduled_for) - Date.parse(noAnswer!.ended_at!)).toBe(60 * 60_000);
    clock.advance(60 * 60_000);
    await waitCampaignDone(t, id);
    expect((await callsOf(id)).map((call) => call.status)).toEqual(['busy', 'no_answer', 'answered']);
  });
});

describe('a failed call with a plain HTTP dialer', () => {
  it('is retried when the campaign has a rule for it, at most max_retries times', async () => {
    const organization = t.org;
    const post = (path: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': organization.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const dialed: string[] = [];
    const worker = new Worker(
      'campaign-calls',
      async (job) => {
        const call = job.data as { call_id: string; promotion: number };
        const claim = await post(`/calls/${call.call_id}/claim`, { promotion: call.promotion });
        if (claim.status === 409) return;
        if (claim.status !== 200) throw new Error(`claim answered ${claim.status}`);
        dialed.push(call.call_id);
        const reported = await post(`/calls/${call.call_id}/outcome`, { status: 'failed' });
        if (!reported.ok) throw new Error(`outcome answered ${reported.status}`);
      },
      { connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null }, prefix: t.config.QUEUE_PREFIX },
    );
    try {
      const { target, attempts } = await runOneTarget(
        { call_attempt_delays: [0, 0, 0], call_retry_policy: { failed: { delay_minutes: 0, max_retries: 1 } } },
        { phone: '+14155550203' },
      );
      expect(attempts).toEqual([
        [1, 'failed'],
        [2, 'failed'],
      ]);
      expect(dialed).toHaveLength(2);
      expect(target.state).toBe('failed');
    } finally {
      await worker.close();
    }
  });
});

describe('the call_retry_policy field', () => {
  it('is answered as sent, changed and cleared with PATCH', async () => {
    const policy = { no_answer: { delay_minutes: 30, max_retries: 1 }, voicemail: { delay_minutes: 240, max_retries: 0 } };
    const id = await createCampaign(t, { settings: { call_retry_policy: policy } });
    expect((await t.api('GET', `/campaigns/${id}`)).json().call_retry_policy).toEqual(policy);
    const changed = await t.api('PATCH', `/campaigns/${id}`, { call_retry_policy: { busy: { delay_minutes: 2, max_retries: 4 } } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().call_retry_policy).toEqual({ busy: { delay_minutes: 2, max_retries: 4 } });
    const cleared = await t.api('PATCH', `/campaigns/${id}`, { call_retry_policy: null });
    expect(cleared.json().call_retry_policy).toBeNull();
    const plain = await createCampaign(t);
    expect((await t.api('GET', `/campaigns/${plain}`)).json().call_retry_policy).toBeNull();
  });

  it.each([
    ['an outcome that is never retried', { answered: { delay_minutes: 0, max_retries: 1 } }, ['call_retry_policy']],
    ['a negative delay', { busy: { delay_minutes: -1, max_retries: 1 } }, ['call_retry_policy', 'busy', 'delay_minutes']],
    ['a delay past the limit', { busy: { delay_minutes: 10_000_000, max_retries: 1 } }, ['call_retry_policy', 'busy', 'delay_minutes']],
    ['a negative cap', { busy: { delay_minutes: 0, max_retries: -1 } }, ['call_retry_policy', 'busy', 'max_retries']],
    ['a missing cap', { busy: { delay_minutes: 0 } }, ['call_retry_policy', 'busy', 'max_retries']],
    ['a field of its own', { busy: { delay_minutes: 0, max_retries: 1, jitter: true } }, ['call_retry_policy', 'busy']],
  ])('refuses %s with 422 at the field', async (_, policy, loc) => {
    const created = await t.api('POST', '/campaigns', { name: 'retry rules', agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10', call_retry_policy: policy });
    expect(created.statusCode).toBe(422);
    const details = created.json().detail as Array<{ loc: unknown[] }>;
    expect(details.map((detail) => detail.loc.slice(1, 1 + loc.length))).toContainEqual(loc);
  });
});

describe('an outcome without a rule', () => {
  it('keeps its behaviour: a failed call ends the round', async () => {
    const dialer = startTestDialer(t, clock.now);
    try {
      const { attempts } = await runOneTarget(
        { call_attempt_delays: [0, 0], call_retry_policy: { busy: { delay_minutes: 0, max_retries: 1 } } },
        { phone: '+14155550204', variables: { calls: ['failed'] } },
      );
      expect(attempts).toEqual([[1, 'failed']]);
    } finally {
      await dialer.close();
    }
  });
});
