import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventReporter } from '../../src/dialer/index.js';
import { JobName, QueueName } from '../../src/queues/names.js';
import { createTestClock } from '../support/clock.js';
import { eventually } from '../support/poll.js';
import { createCampaign, waitCalls, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { claimAndReport } from '../support/reports.js';
import { expectDetail } from '../support/responses.js';

const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200', CALL_OUTCOME_TIMEOUT_SECONDS: '1' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const WHATSAPP_CHANNEL = '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02';

const firstCall = async (campaignId: string) =>
  (
    await eventually(
      () => t.api('GET', `/campaigns/${campaignId}/calls`).then((r) => r.json().items),
      (items) => items.length > 0,
    )
  )[0];

const firstMessage = async (campaignId: string) =>
  (await eventually(
    () => t.prisma.whatsappMessage.findFirst({ where: { campaignId } }),
    (row) => row !== null,
  ))!;

/** A report job on the dispatch queue once the system has finished with it (completed or failed). */
async function finishedReportJob(jobId: string) {
  const job = await eventually(
    () => Job.fromId(t.system.queues.get(QueueName.Dispatch), jobId),
    (found) => found?.finishedOn != null,
  );
  return { state: await job!.getState(), attemptsMade: job!.attemptsMade, failedReason: job!.failedReason };
}

/** Attempts follow each other at once, so a test sees the next one without waiting. */
const started = (targets: Array<Record<string, unknown>>, settings: Record<string, unknown> = {}) =>
  createCampaign(t, { settings: { call_attempt_delays: [0], ...settings }, targets, start: true });

describe('POST /calls/{call_id}/outcome', () => {
  it('records the outcome, answers the call, and schedules the next attempt', async () => {
    const id = await started([{ phone: '+14155550201' }]);
    const call = await firstCall(id);
    const response = await claimAndReport(t, 'call', call.id, { status: 'voicemail', duration_s: 31, summary: 'left a message' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: call.id, status: 'voicemail', duration_s: 31, summary: 'left a message', attempt: 1 });
    const calls = (await t.api('GET', `/campaigns/${id}/calls`)).json().items;
    expect(calls.map((c: { attempt: number; status: string }) => [c.attempt, c.status])).toEqual([
      [1, 'voicemail'],
      [2, 'scheduled'],
    ]);
  });

  it('is harmless when repeated, and answers 409 for a different outcome', async () => {
    const id = await started([{ phone: '+14155550202' }]);
    const call = await firstCall(id);
    expect((await claimAndReport(t, 'call', call.id, { status: 'no_answer' })).statusCode).toBe(200);
    const again = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'no_answer' });
    expect(again.statusCode).toBe(200);
    expect((await t.api('GET', `/campaigns/${id}/calls`)).json().items).toHaveLength(2);
    const other = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'answered' });
    expect(other.statusCode).toBe(409);
    expect(other.json().detail).toBe('The call already ended as no_answer; a different outcome cannot replace it.');
  });

  it('answers 409 for a call canceled by complete, 404 for another organization, 422 for a bad body', async () => {
    const id = await started([{ phone: '+14155550203' }]);
    const call = await firstCall(id);
    const other = await t.newOrganization();
    const foreign = await other.api('POST', `/calls/${call.id}/outcome`, { status: 'answered' });
    expect(foreign.statusCode).toBe(404);
    expect((await t.api('POST', `/calls/${call.id}/outcome`, { status: 'ringing' })).statusCode).toBe(422);
    const halfAi = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'answered', ai_label: 'positive' });
    expect(halfAi.statusCode).toBe(422);
    expect(halfAi.json().detail[0].loc).toEqual(['body', 'ai_score']);
    await t.api('POST', `/campaigns/${id}/complete`);
    const canceled = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'answered' });
    expect(canceled.statusCode).toBe(409);
    expect(canceled.json().detail).toContain('canceled');
  });

  it('records the outcome of a call that was dialing when the campaign completed', async () => {
    const id = await started([{ phone: '+14155550204' }]);
    const call = await firstCall(id);
    await t.prisma.call.update({ where: { id: call.id }, data: { status: 'dialing', dialingAt: clock.now() } });
    await t.api('POST', `/campaigns/${id}/complete`);
    const response = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'no_answer' });
    expect(response.json().status).toBe('no_answer');
    // Done: no next attempt.
    expect((await t.api('GET', `/campaigns/${id}/calls`)).json().items).toHaveLength(1);
  });

  it('records a call left dialing past the timeout as timed_out (counted as failed), and the real outcome replaces it', async () => {
    const id = await started([{ phone: '+14155550205' }]);
    const call = await firstCall(id);
    await t.prisma.call.update({ where: { id: call.id }, data: { status: 'dialing', dialingAt: clock.now() } });
    const timedOut = await eventually(
      () => t.api('GET', `/campaigns/${id}/calls`).then((r) => r.json().items[0]),
      (row) => row.status === 'timed_out',
    );
    expect(timedOut.summary).toContain('CALL_OUTCOME_TIMEOUT_SECONDS');
    const stateOf = async () => (await t.api('GET', `/campaigns/${id}/targets`)).json().items[0].state;
    expect(await stateOf()).toBe('failed');
    expect((await t.api('GET', `/campaigns/${id}/stats`)).json().calls).toEqual({ timed_out: 1 });

    // The dialer's report arrives late: it replaces the provisional outcome, over HTTP too.
    const late = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'answered', duration_s: 42 });
    expect(late.statusCode).toBe(200);
    expect(late.json()).toMatchObject({ status: 'answered', duration_s: 42 });
    expect(await stateOf()).toBe('goal_met');
    expect((await t.api('POST', `/calls/${call.id}/outcome`, { status: 'answered', duration_s: 42 })).statusCode).toBe(200);
    expect((await t.api('POST', `/calls/${call.id}/outcome`, { status: 'busy' })).statusCode).toBe(409);
  });
});

describe('POST /whatsapp-messages/{message_id}/events', () => {
  it('moves the message forward, counts a reply as reaching the target, ignores repeats', async () => {
    const id = await started([{ whatsapp: '+14155550206' }], { whatsapp_channel_id: WHATSAPP_CHANNEL });
    const message = await firstMessage(id);
    const send = (event: string) => t.api('POST', `/whatsapp-messages/${message.id}/events`, { event });
    expect((await claimAndReport(t, 'whatsapp', message.id, { event: 'read' })).json().status).toBe('read');
    expect((await send('delivered')).json().status).toBe('read');
    expect((await send('sent')).json()).toMatchObject({ status: 'read', kind: 'first' });
    const replied = await send('replied');
    expect(replied.json()).toMatchObject({ status: 'replied', replied_at: expect.any(String) });
    expect((await send('replied')).statusCode).toBe(200);
    expect((await send('opened')).statusCode).toBe(422);
    const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect(target.state).toBe('goal_met');
    await waitCampaignDone(t, id);
  });
});

describe('GET /campaigns/{id}/calls and /stats', () => {
  it('filters calls by status and target, and counts everything', async () => {
    const id = await started([{ phone: '+14155550207' }, { phone: '+14155550208' }, { email: 'x@example.com' }]);
    const calls = await waitCalls(t, id, 2);
    await claimAndReport(t, 'call', calls[0].id, { status: 'failed' });
    const failed = (await t.api('GET', `/campaigns/${id}/calls?status=failed`)).json().items;
    expect(failed.map((call: { id: string }) => call.id)).toEqual([calls[0].id]);
    const ofTarget = (await t.api('GET', `/campaigns/${id}/calls?target_id=${calls[1].target_id}`)).json().items;
    expect(ofTarget.map((call: { id: string }) => call.id)).toEqual([calls[1].id]);
    expect((await t.api('GET', `/campaigns/${id}/calls?status=ringing`)).statusCode).toBe(422);

    const stats = (await t.api('GET', `/campaigns/${id}/stats`)).json();
    expect(stats).toEqual({
      targets: { total: 3, by_state: { failed: 1, not_contacted: 2 }, goal_met: 0, do_not_contact: 0, with_pending_work: 1 },
      calls: { failed: 1, scheduled: 1 },
      whatsapp_messages: {},
      contact_rules: { calls_held_by_caps: 0, opt_outs: 0 },
      progress: 2 / 3,
    });
  });
});

describe('POST /calls/{call_id}/claim (the guard over HTTP)', () => {
  it('lets the current job dial once the campaign runs, and refuses stale or paused ones', async () => {
    const id = await started([{ phone: '+14155550209' }]);
    const call = await eventually(
      () => t.prisma.call.findFirst({ where: { campaignId: id } }),
      (row) => row?.promotedAt != null,
    );
    const claim = (promotion: number) => t.api('POST', `/calls/${call!.id}/claim`, { promotion });
    expect((await claim(call!.promotion + 1)).statusCode).toBe(425);
    await t.api('POST', `/campaigns/${id}/pause`);
    expect((await claim(call!.promotion)).statusCode).toBe(409);
    await t.api('POST', `/campaigns/${id}/start`);
    const fresh = await eventually(
      () => t.prisma.call.findFirst({ where: { campaignId: id } }),
      (row) => row!.promotion > call!.promotion && row!.promotedAt != null,
    );
    expect((await claim(call!.promotion)).statusCode).toBe(409);
    const granted = await claim(fresh!.promotion);
    expect(granted.statusCode).toBe(200);
    expect((await t.prisma.call.findUnique({ where: { id: call!.id } }))!.status).toBe('dialing');
  });
});

describe('reports for work that was never claimed', () => {
  it('refuses an outcome for a scheduled call with 409, records nothing and schedules no next attempt', async () => {
    const id = await started([{ phone: '+14155550210' }]);
    const call = await firstCall(id);
    const refused = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'no_answer' });
    expect(expectDetail(refused, 409)).toBe('The call was never claimed: claim it with POST /calls/{call_id}/claim before reporting its outcome.');
    const calls = (await t.api('GET', `/campaigns/${id}/calls`)).json().items;
    expect(calls.map((c: { attempt: number; status: string }) => [c.attempt, c.status])).toEqual([[1, 'scheduled']]);
    expect((await t.api('GET', `/campaigns/${id}/targets`)).json().items[0].state).toBe('not_contacted');

    // Claimed, the same report is recorded.
    expect((await claimAndReport(t, 'call', call.id, { status: 'no_answer' })).json()).toMatchObject({ status: 'no_answer' });
  });

  it('refuses every event of a queued WhatsApp message with 409 and records nothing', async () => {
    const id = await started([{ whatsapp: '+14155550211' }], { whatsapp_channel_id: WHATSAPP_CHANNEL });
    const message = await firstMessage(id);
    for (const event of ['sent', 'failed', 'delivered', 'read', 'replied']) {
      const refused = await t.api('POST', `/whatsapp-messages/${message.id}/events`, { event });
      expect(expectDetail(refused, 409), event).toBe(
        'The message was never claimed: claim it with POST /whatsapp-messages/{message_id}/claim before reporting its events.',
      );
    }
    const row = await t.prisma.whatsappMessage.findUniqueOrThrow({ where: { id: message.id } });
    expect(row).toMatchObject({ status: 'queued', sentAt: null, deliveredAt: null, readAt: null, repliedAt: null, failedAt: null });
    expect((await t.api('GET', `/campaigns/${id}/targets`)).json().items[0].state).toBe('not_contacted');
  });

  it('fails an outcome job for a scheduled call at once (not retried), with the reason, and records nothing', async () => {
    const id = await started([{ phone: '+14155550212' }]);
    const call = await firstCall(id);
    const jobId = `outcome-${call.id}-answered`;
    await t.system.queues.add(JobName.CallOutcome, { data: { call_id: call.id, status: 'answered' }, jobId });
    expect(await finishedReportJob(jobId)).toEqual({
      state: 'failed',
      attemptsMade: 1,
      failedReason: 'The call was never claimed: claim it with POST /calls/{call_id}/claim before reporting its outcome.',
    });
    expect((await t.prisma.call.findUniqueOrThrow({ where: { id: call.id } })).status).toBe('scheduled');
    expect((await t.api('GET', `/campaigns/${id}/targets`)).json().items[0].state).toBe('not_contacted');
  });
});

describe('reports for a WhatsApp message canceled before it was claimed', () => {
  it('answers 409 to every event, over HTTP and through Redis, and changes nothing', async () => {
    const id = await started([{ whatsapp: '+14155550213' }], { whatsapp_channel_id: WHATSAPP_CHANNEL });
    const message = await firstMessage(id);
    expect((await t.api('POST', `/campaigns/${id}/complete`)).statusCode).toBe(200);
    const detail = 'The message was canceled (campaign_completed) before it was sent.';
    for (const event of ['replied', 'sent', 'delivered', 'read', 'failed']) {
      expect(expectDetail(await t.api('POST', `/whatsapp-messages/${message.id}/events`, { event }), 409), event).toBe(detail);
    }

    const reporter = createEventReporter({ connection: { url: t.config.REDIS_URL, maxRetriesPerRequest: null }, prefix: t.config.QUEUE_PREFIX });
    try {
      await reporter.reportWhatsappEvent(message.id, 'replied');
    } finally {
      await reporter.close();
    }
    expect(await finishedReportJob(`whatsapp-event-${message.id}-replied`)).toEqual({ state: 'failed', attemptsMade: 1, failedReason: detail });

    const row = await t.prisma.whatsappMessage.findUniqueOrThrow({ where: { id: message.id } });
    expect(row).toMatchObject({ status: 'canceled', cancelReason: 'campaign_completed', sentAt: null, repliedAt: null });
    const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect(target.state).toBe('not_contacted');
    expect((await t.api('GET', `/campaigns/${id}/stats`)).json().whatsapp_messages).toEqual({ canceled: 1 });
  });
});

describe('the same outcome reported again', () => {
  const answered = { status: 'answered', duration_s: 94, ai_label: 'positive', ai_score: 0.87, summary: 'Agreed to renew.' };

  it('is harmless only with an identical body; other details answer 409 and change nothing', async () => {
    const id = await started([{ phone: '+14155550214' }]);
    const call = await firstCall(id);
    expect((await claimAndReport(t, 'call', call.id, answered)).statusCode).toBe(200);
    const report = (body: Record<string, unknown>) => t.api('POST', `/calls/${call.id}/outcome`, body);

    const again = await report(answered);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject(answered);

    const conflicts: Array<[Record<string, unknown>, string]> = [
      [{ ...answered, duration_s: 95 }, 'duration_s'],
      [{ ...answered, ai_label: 'neutral', ai_score: 0.5 }, 'ai_label, ai_score'],
      [{ ...answered, summary: 'Declined.' }, 'summary'],
      // A field left out differs from one given.
      [{ status: 'answered', duration_s: 94, summary: 'Agreed to renew.' }, 'ai_label, ai_score'],
      [{ status: 'answered' }, 'duration_s, ai_label, ai_score, summary'],
    ];
    for (const [body, fields] of conflicts) {
      expect(expectDetail(await report(body), 409), JSON.stringify(body)).toBe(
        `The call already ended as answered with other details (${fields}); only the identical report may be repeated.`,
      );
    }
    const row = await t.prisma.call.findUniqueOrThrow({ where: { id: call.id } });
    expect(row).toMatchObject({ status: 'answered', durationS: 94, aiLabel: 'positive', aiScore: 0.87, summary: 'Agreed to renew.' });
    expect(await t.prisma.aiEvaluation.count({ where: { callId: call.id } })).toBe(1);
  });

  it('an outcome without details repeats as the same bare status; a detail added later is a conflict', async () => {
    const id = await started([{ phone: '+14155550215' }]);
    const call = await firstCall(id);
    expect((await claimAndReport(t, 'call', call.id, { status: 'busy' })).statusCode).toBe(200);
    expect((await t.api('POST', `/calls/${call.id}/outcome`, { status: 'busy' })).statusCode).toBe(200);
    const added = await t.api('POST', `/calls/${call.id}/outcome`, { status: 'busy', duration_s: 0 });
    expect(expectDetail(added, 409)).toBe('The call already ended as busy with other details (duration_s); only the identical report may be repeated.');
    expect((await t.prisma.call.findUniqueOrThrow({ where: { id: call.id } })).durationS).toBeNull();
  });
});
