import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTargetEvent } from '../../src/db/repositories/evaluations.js';
import { createCampaign } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { expectDetail, expectValidationError } from '../support/responses.js';

// POST /campaigns/{campaign_id}/targets/{target_id}/events: a retried report counts once. An
// email_sent is recognised by its Idempotency-Key header, else by its occurred_at; an
// ai_evaluation by its Idempotency-Key. A repeat answers 200 with the first answer and changes
// nothing, concurrent repeats included (the database keeps one row).

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({}, 'api');
});
afterAll(() => t?.close());

/** A draft campaign with one target and this goal; returns the route of the target's events. */
async function targetWithGoal(objectives: Array<Record<string, unknown>>) {
  const id = await createCampaign(t, { settings: { goal_spec: { objectives } }, targets: [{ phone: '+14155550401', email: 'pat@example.com' }] });
  const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
  return { targetId: target.id as string, events: `/campaigns/${id}/targets/${target.id}/events` };
}

const concurrently = <T>(count: number, request: () => Promise<T>) => Promise.all(Array.from({ length: count }, request));
const emails = (targetId: string) => t.prisma.emailEvent.count({ where: { targetId } });
const evaluations = (targetId: string) => t.prisma.aiEvaluation.count({ where: { targetId } });

describe('email_sent reported again with the same occurred_at', () => {
  it('20 concurrent identical reports store one email and all answer the first answer', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'email', min_count: 2 }]);
    const body = { type: 'email_sent', occurred_at: '2026-11-30T09:00:00Z' };
    const responses = await concurrently(20, () => t.api('POST', events, body));
    expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(new Set(responses.map((response) => response.body))).toEqual(new Set([JSON.stringify({ target_state: 'not_contacted' })]));
    expect(await emails(targetId)).toBe(1);

    // The same instant written another way is the same email; another instant is a second one.
    expect((await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T10:00:00+01:00' })).json()).toEqual({ target_state: 'not_contacted' });
    expect(await emails(targetId)).toBe(1);
    expect((await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T09:05:00Z' })).json()).toEqual({ target_state: 'goal_met' });
    expect(await emails(targetId)).toBe(2);
  });

  it('reports without occurred_at nor Idempotency-Key are separate emails', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'email', min_count: 2 }]);
    expect((await t.api('POST', events, { type: 'email_sent' })).json()).toEqual({ target_state: 'not_contacted' });
    expect((await t.api('POST', events, { type: 'email_sent' })).json()).toEqual({ target_state: 'goal_met' });
    expect(await emails(targetId)).toBe(2);
  });
});

describe('an Idempotency-Key', () => {
  it('makes concurrent retries of an email without occurred_at one email', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'email', min_count: 2 }]);
    const key = { 'idempotency-key': 'email-7f3a' };
    const responses = await concurrently(10, () => t.api('POST', events, { type: 'email_sent' }, key));
    expect(responses.map((response) => `${response.statusCode} ${response.body}`)).toEqual(
      Array.from({ length: 10 }, () => `200 ${JSON.stringify({ target_state: 'not_contacted' })}`),
    );
    expect(await emails(targetId)).toBe(1);
  });

  it('makes concurrent retries of an AI evaluation one evaluation', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'ai', min_score: 0.5 }]);
    const key = { 'idempotency-key': 'evaluation-1' };
    const body = { type: 'ai_evaluation', label: 'positive', score: 0.9 };
    const responses = await concurrently(10, () => t.api('POST', events, body, key));
    expect(responses.map((response) => `${response.statusCode} ${response.body}`)).toEqual(
      Array.from({ length: 10 }, () => `200 ${JSON.stringify({ target_state: 'goal_met' })}`),
    );
    expect(await evaluations(targetId)).toBe(1);
  });

  it('replays the first answer even after the target moved on, and changes nothing', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'ai', min_score: 0.5 }]);
    const key = { 'idempotency-key': 'first-email' };
    expect((await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T09:00:00Z' }, key)).json()).toEqual({ target_state: 'not_contacted' });
    expect((await t.api('POST', events, { type: 'ai_evaluation', label: 'positive', score: 0.9 })).json()).toEqual({ target_state: 'goal_met' });
    const replay = await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T09:00:00Z' }, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ target_state: 'not_contacted' });
    expect(await emails(targetId)).toBe(1);
  });

  it('answers 409 when the key comes back with a different event, and records nothing', async () => {
    const { targetId, events } = await targetWithGoal([{ type: 'email', min_count: 1 }]);
    const key = { 'idempotency-key': 'reused' };
    expect((await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T09:00:00Z' }, key)).statusCode).toBe(200);
    const detail = 'This Idempotency-Key was already used for a different event of this target.';
    expect(expectDetail(await t.api('POST', events, { type: 'email_sent', occurred_at: '2026-11-30T09:01:00Z' }, key), 409)).toBe(detail);
    expect(expectDetail(await t.api('POST', events, { type: 'ai_evaluation', label: 'neutral', score: 0.5 }, key), 409)).toBe(detail);
    expect(await emails(targetId)).toBe(1);
    expect(await evaluations(targetId)).toBe(0);
  });

  it('must be 1 to 255 visible ASCII characters', async () => {
    const { events } = await targetWithGoal([]);
    expectValidationError(await t.api('POST', events, { type: 'email_sent' }, { 'idempotency-key': 'x'.repeat(256) }), ['header', 'Idempotency-Key']);
  });
});

describe('the database', () => {
  it('refuses a second row for one dedupe key of a target, whatever the code does', async () => {
    const { targetId } = await targetWithGoal([]);
    const { campaignId } = await t.prisma.target.findUniqueOrThrow({ where: { id: targetId } });
    const email = { type: 'email_sent' as const, campaignId, targetId, occurredAt: new Date('2026-11-30T09:00:00Z'), dedupeKey: 'key:twice' };
    await insertTargetEvent(t.system.db.sql, email);
    await expect(insertTargetEvent(t.system.db.sql, email)).rejects.toMatchObject({ code: '23505' });
    const evaluation = { type: 'ai_evaluation' as const, campaignId, targetId, label: 'positive', score: 0.9, dedupeKey: 'key:twice' };
    await insertTargetEvent(t.system.db.sql, evaluation);
    await expect(insertTargetEvent(t.system.db.sql, evaluation)).rejects.toMatchObject({ code: '23505' });
    expect([await emails(targetId), await evaluations(targetId)]).toEqual([1, 1]);
  });
});
