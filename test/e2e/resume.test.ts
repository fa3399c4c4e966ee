import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideLifecycle, type CampaignStatus } from '../../src/domain/lifecycle.js';
import { QueueName } from '../../src/queues/names.js';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { eventually } from '../support/poll.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
let dialer: ReturnType<typeof startTestDialer>;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
  dialer = startTestDialer(t, clock.now);
});
afterAll(async () => {
  await dialer?.close();
  await t?.close();
});

const GOOD = { status: 'answered', ai_label: 'positive', ai_score: 0.9 };
const WEAK = { status: 'answered', ai_label: 'neutral', ai_score: 0.3 };
const goal = { goal_spec: { objectives: [{ type: 'ai', min_score: 0.8 }] } };

type Counts = Record<string, number>;
const COUNT_KEYS = ['scheduled_calls', 'queued_whatsapp', 'skipped_existing_pending', 'skipped_missing_contact'];

const statusOf = async (id: string) => (await t.api('GET', `/campaigns/${id}`)).json().status as CampaignStatus;
const statesOf = async (id: string) =>
  Object.fromEntries(
    ((await t.api('GET', `/campaigns/${id}/targets?limit=500`)).json().items as Array<{ phone: string | null; email: string | null; state: string }>).map(
      (target) => [target.phone ?? target.email, target.state],
    ),
  );

async function resume(id: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await t.api('POST', `/campaigns/${id}/resume`, body, headers);
  if (response.statusCode === 200) {
    const result = response.json() as Counts & { selected_targets: number };
    // The invariant of docs/product.md, "Resume segments".
    expect(COUNT_KEYS.reduce((sum, key) => sum + result[key]!, 0)).toBe(result.selected_targets);
  }
  return response;
}

describe('resume a done campaign, segment by segment', () => {
  let id: string;

  beforeAll(async () => {
    id = await createCampaign(t, {
      settings: goal,
      targets: [
        { phone: '+14155550301', variables: { calls: [GOOD] } },
        { phone: '+14155550302', variables: { calls: [WEAK, GOOD] } },
        { phone: '+14155550303', variables: { calls: ['no_answer', GOOD] } },
        { phone: '+14155550304', variables: { calls: ['failed', 'no_answer'] } },
        { email: 'no-phone@example.com' },
        { phone: '+14155550306', variables: { calls: ['busy', 'voicemail'] } },
      ],
      start: true,
    });
    await waitCampaignDone(t, id);
    // Added after the first pass: never contacted, but callable.
    await t.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550307', variables: { calls: ['no_answer'] } }]);
  });

  it('has targets in every state after the first pass', async () => {
    expect(await statesOf(id)).toEqual({
      '+14155550301': 'goal_met',
      '+14155550302': 'unresolved',
      '+14155550303': 'not_answered',
      '+14155550304': 'failed',
      'no-phone@example.com': 'not_contacted',
      '+14155550306': 'not_answered',
      '+14155550307': 'not_contacted',
    });
  });

  it('not_answered (the default): a new round for each, attempt numbers continuing', async () => {
    const response = await resume(id, {});
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      campaign: { id, status: 'running' },
      segment: 'not_answered',
      selected_targets: 2,
      scheduled_calls: 2,
      queued_whatsapp: 0,
      skipped_existing_pending: 0,
      skipped_missing_contact: 0,
    });
    expect(Object.keys(response.json().campaign)).not.toContain('timezone');
    await waitCampaignDone(t, id);
    const states = await statesOf(id);
    expect(states['+14155550303']).toBe('goal_met');
    expect(states['+14155550306']).toBe('not_answered');
    const calls = (await t.api('GET', `/campaigns/${id}/calls?limit=100`)).json().items as Array<{ target_id: string; attempt: number; round: number }>;
    const target = (await t.api('GET', `/campaigns/${id}/targets`)).json().items.find((row: { phone: string }) => row.phone === '+14155550303');
    expect(calls.filter((call) => call.target_id === target.id).map((call) => [call.round, call.attempt])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('not_contacted: the callable target gets a round, the one without contact is skipped', async () => {
    const response = await resume(id, { segment: 'not_contacted' });
    expect(response.json()).toMatchObject({ segment: 'not_contacted', selected_targets: 2, scheduled_calls: 1, skipped_missing_contact: 1 });
    await waitCampaignDone(t, id);
    expect((await statesOf(id))['+14155550307']).toBe('not_answered');
  });

  it('failed and unresolved; goal-met targets are never selected', async () => {
    expect((await resume(id, { segment: 'failed' })).json()).toMatchObject({ selected_targets: 1, scheduled_calls: 1 });
    await waitCampaignDone(t, id);
    expect((await resume(id, { segment: 'unresolved' })).json()).toMatchObject({ selected_targets: 1, scheduled_calls: 1 });
    await waitCampaignDone(t, id);
    const states = await statesOf(id);
    expect(states['+14155550302']).toBe('goal_met');
    expect(states['+14155550304']).toBe('not_answered');
    // The target that met its goal in the first pass was never called again.
    expect(dialer.dials.filter((dial) => dial.data.phone === '+14155550301')).toHaveLength(1);
  });
});

describe('resume from paused, and refusals', () => {
  it('skips targets that still have pending work and runs the campaign again', async () => {
    const id = await createCampaign(t, { settings: { call_attempt_delays: [600] }, targets: [{ phone: '+14155550311' }], start: true });
    await waitCalls(t, id, 2);
    expect((await t.api('POST', `/campaigns/${id}/pause`)).statusCode).toBe(200);
    const response = await resume(id, { segment: 'not_answered' });
    expect(response.json()).toMatchObject({
      campaign: { status: 'running' },
      selected_targets: 1,
      scheduled_calls: 0,
      skipped_existing_pending: 1,
    });
    await t.api('POST', `/campaigns/${id}/complete`);
  });

  it('answers 409 from draft and from running, 422 for an unknown segment', async () => {
    const id = await createCampaign(t, { settings: { call_attempt_delays: [600] }, targets: [{ phone: '+14155550312' }] });
    const fromDraft = await resume(id, {});
    expect(fromDraft.statusCode).toBe(409);
    expect(fromDraft.json()).toEqual({ detail: 'A draft campaign cannot be resumed; start it instead.' });
    await t.api('POST', `/campaigns/${id}/start`);
    const fromRunning = await resume(id, {});
    expect(fromRunning.statusCode).toBe(409);
    expect(fromRunning.json().detail).toContain('running');
    const unknown = await resume(id, { segment: 'everyone' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail[0]).toMatchObject({ loc: ['body', 'segment'] });
    expect((await t.api('POST', `/campaigns/${id}/resume`)).statusCode).toBe(422);
    await t.api('POST', `/campaigns/${id}/complete`);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first response for the same key and does nothing again', async () => {
    const id = await createCampaign(t, { targets: [{ phone: '+14155550321', variables: { calls: ['no_answer', 'no_answer'] } }], start: true });
    await waitCampaignDone(t, id);
    const key = { 'idempotency-key': `resume-${id}` };
    const first = await resume(id, { segment: 'not_answered' }, key);
    expect(first.json()).toMatchObject({ selected_targets: 1, scheduled_calls: 1 });
    await waitCampaignDone(t, id);
    const second = await resume(id, { segment: 'not_answered' }, key);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    const resumes = (await t.api('GET', `/campaigns/${id}/events`)).json().items.filter((event: { command: string }) => event.command === 'resume');
    expect(resumes).toHaveLength(1);
    expect((await t.api('GET', `/campaigns/${id}/calls`)).json().items).toHaveLength(2);

    const reused = await resume(id, { segment: 'failed' }, key);
    expect(reused.statusCode).toBe(409);
    expect(reused.json().detail).toContain('Idempotency-Key');
    const bad = await t.api('POST', `/campaigns/${id}/complete`, undefined, { 'idempotency-key': 'x'.repeat(300) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail[0].loc).toEqual(['header', 'Idempotency-Key']);

    const completeKey = { 'idempotency-key': `complete-${id}` };
    const completed = await t.api('POST', `/campaigns/${id}/complete`, undefined, completeKey);
    const again = await t.api('POST', `/campaigns/${id}/complete`, undefined, completeKey);
    expect(again.json()).toEqual(completed.json());
    const completes = (await t.api('GET', `/campaigns/${id}/events`)).json().items.filter((event: { command: string }) => event.command === 'complete');
    expect(completes).toHaveLength(1);
  });
});

describe('a resume racing a pause', () => {
  it('serialises: the log is a chain of allowed transitions, and a paused campaign holds no job', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const id = await createCampaign(t, {
        settings: { call_attempt_delays: [600] },
        targets: [{ phone: `+1415555${String(400 + trial * 2).padStart(4, '0')}` }, { phone: `+1415555${String(401 + trial * 2).padStart(4, '0')}` }],
        start: true,
      });
      await t.api('POST', `/campaigns/${id}/pause`);
      const commands = trial % 2 ? ['pause', 'resume', 'pause', 'resume'] : ['resume', 'pause', 'resume', 'pause'];
      await Promise.all(
        commands.map((command) => t.api('POST', `/campaigns/${id}/${command}`, command === 'resume' ? { segment: 'not_contacted' } : undefined)),
      );
      const events = (await t.api('GET', `/campaigns/${id}/events`)).json().items as Array<{
        command: 'start' | 'pause' | 'resume' | 'complete';
        from: CampaignStatus;
        to: CampaignStatus;
      }>;
      let status: CampaignStatus = 'draft';
      for (const event of events) {
        expect(event.from).toBe(status);
        expect(decideLifecycle(event.from, event.command).kind).not.toBe('rejected');
        status = event.to;
      }
      expect(await statusOf(id)).toBe(status);
      // Whatever order won, a pause after it leaves no job of the campaign in Redis.
      await t.api('POST', `/campaigns/${id}/pause`);
      expect(await statusOf(id)).toBe('paused');
      const jobs = await t.system.queues.get(QueueName.Calls).getJobs(['delayed', 'waiting', 'prioritized']);
      expect(jobs.filter((job) => job?.data.campaign_id === id)).toEqual([]);
      await t.api('POST', `/campaigns/${id}/complete`);
    }
  });
});

describe('a segment beyond RESUME_WAIT_LIMIT', () => {
  let small: TestSystem;
  beforeAll(async () => {
    small = await startTestSystem({ HOPPER_INTERVAL_MS: '200', RESUME_WAIT_LIMIT: '1' }, 'all', { clock: clock.now });
  });
  afterAll(() => small?.close());

  it('answers 202 with a command id whose result and progress can be polled', async () => {
    const id = await createCampaign(small, { targets: [{ phone: '+14155550331' }, { phone: '+14155550332' }] });
    await small.api('POST', `/campaigns/${id}/complete`);
    const accepted = await small.api('POST', `/campaigns/${id}/resume`, { segment: 'not_contacted' });
    expect(accepted.statusCode).toBe(202);
    // The command finishes at once; the hopper then opens the segment's rounds, and progress says how far.
    const command = await eventually(
      () => small.api('GET', `/commands/${accepted.json().command_id}`).then((r) => r.json()),
      (body) => body.status === 'succeeded' && body.progress?.finished === true,
    );
    expect(command.result).toMatchObject({
      status_code: 200,
      body: { segment: 'not_contacted', selected_targets: 2, scheduled_calls: 2, campaign: { status: 'running' } },
    });
    expect(command.progress).toMatchObject({ selected: 2, scheduled_calls: 2, queued_whatsapp: 0, finished: true });
    await small.api('POST', `/campaigns/${id}/complete`);
  });
});
