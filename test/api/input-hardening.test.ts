import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { eventually } from '../support/poll.js';
import { campaignInput, createCampaign } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { claimAndReport } from '../support/reports.js';
import { expectDetail, expectValidationError } from '../support/responses.js';

// Inputs that PostgreSQL or the serializer would refuse (NUL, lone surrogates, int32 overflow,
// deep nesting, out-of-range datetimes) and unbounded free-form fields: each answers 422 at its
// field, never 500, and a targets batch keeps its valid rows.

const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const NUL = 'a\u0000b';
const LONE = 'x\ud800y';
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const JSON_TYPE = { 'content-type': 'application/json' };
const raw = (method: string, url: string, payload: string) =>
  t.system.app!.inject({ method: method as 'POST', url, headers: { 'x-api-key': t.org.apiKey, ...JSON_TYPE }, payload });

describe('campaign settings', () => {
  it.each([
    ['NUL in name', { name: NUL }, ['body', 'name'], 'string_nul'],
    ['NUL in goal', { goal: NUL }, ['body', 'goal'], 'string_nul'],
    ['NUL in the call opening message', { call_opening_message: NUL }, ['body', 'call_opening_message'], 'string_nul'],
    ['NUL in the WhatsApp first message', { whatsapp_first_message: NUL }, ['body', 'whatsapp_first_message'], 'string_nul'],
    ['a lone surrogate in goal', { goal: LONE }, ['body', 'goal'], 'string_unicode'],
    ['a lone surrogate in name', { name: '\udc00' }, ['body', 'name'], 'string_unicode'],
    ['a goal over 2,000 characters', { goal: 'g'.repeat(2_001) }, ['body', 'goal'], 'string_too_long'],
    ['a message over 2,000 characters', { call_opening_message: 'm'.repeat(2_001) }, ['body', 'call_opening_message'], 'string_too_long'],
    ['whatsapp_after_attempts beyond int32', { whatsapp_after_attempts: 2_147_483_648 }, ['body', 'whatsapp_after_attempts'], 'int_out_of_range'],
    ['a delay beyond int32', { call_attempt_delays: [2_147_483_648] }, ['body', 'call_attempt_delays', 0], 'less_than_equal'],
    ['a delay over 30 days', { call_attempt_delays: [10, 43_201] }, ['body', 'call_attempt_delays', 1], 'less_than_equal'],
    ['21 delays', { call_attempt_delays: Array.from({ length: 21 }, () => 5) }, ['body', 'call_attempt_delays'], 'too_long'],
    ['21 objectives', { goal_spec: { objectives: Array.from({ length: 21 }, () => ({})) } }, ['body', 'goal_spec', 'objectives'], 'too_long'],
    [
      'min_count beyond int32',
      { goal_spec: { objectives: [{ min_count: 2 ** 31 }] } },
      ['body', 'goal_spec', 'objectives', 0, 'min_count'],
      'int_out_of_range',
    ],
    ['a repeated channel', { goal_spec: { objectives: [{ channels: ['call', 'call'] }] } }, ['body', 'goal_spec', 'objectives', 0, 'channels'], 'not_unique'],
    ['a repeated weekday', { call_working_hours: { weekdays: [1, 1] } }, ['body', 'call_working_hours', 'weekdays'], 'not_unique'],
  ])('POST /campaigns refuses %s', async (_case, overrides, loc, type) => {
    expectValidationError(await t.api('POST', '/campaigns', campaignInput(overrides)), loc, type);
  });

  it('accepts text at the limit: 2,000 characters, counted as characters', async () => {
    const response = await t.api(
      'POST',
      '/campaigns',
      campaignInput({ goal: '😀'.repeat(2_000), call_attempt_delays: Array.from({ length: 20 }, () => 43_200) }),
    );
    expect(response.statusCode).toBe(201);
  });

  it('refuses the same on PATCH and changes nothing', async () => {
    const id = await createCampaign(t);
    expectValidationError(await t.api('PATCH', `/campaigns/${id}`, { name: NUL }), ['body', 'name'], 'string_nul');
    expectValidationError(await t.api('PATCH', `/campaigns/${id}`, { whatsapp_after_attempts: 3e9 }), ['body', 'whatsapp_after_attempts']);
    expectValidationError(await t.api('PATCH', `/campaigns/${id}`, { goal_spec: { objectives: [{ min_count: 3e9 }] } }), [
      'body',
      'goal_spec',
      'objectives',
      0,
      'min_count',
    ]);
    expect((await t.api('GET', `/campaigns/${id}`)).json().name).toBe(campaignInput().name);
  });
});

describe('dispatch settings (campaign resource only)', () => {
  it('accepts blackout dates, call rate limits and a dispatch expiry', async () => {
    const response = await t.api(
      'POST',
      '/campaigns',
      campaignInput({
        blackout_dates: ['2026-12-25', '2027-01-01'],
        max_calls_per_minute: 120,
        max_concurrent_calls: 2_147_483_647,
        dispatch_expiry_minutes: 10_080,
      }),
    );
    expect(response.statusCode).toBe(201);
    const id = response.json().id;
    const patched = await t.api('PATCH', `/campaigns/${id}`, { blackout_dates: null, max_calls_per_minute: null, dispatch_expiry_minutes: 1 });
    expect(patched.statusCode).toBe(200);
  });

  it.each([
    ['a malformed date', { blackout_dates: ['2026-13-01'] }, ['body', 'blackout_dates', 0]],
    ['a date that does not exist', { blackout_dates: ['2027-02-29'] }, ['body', 'blackout_dates', 0]],
    ['February 30th', { blackout_dates: ['2026-12-25', '2026-02-30'] }, ['body', 'blackout_dates', 1]],
    ['a repeated date', { blackout_dates: ['2026-12-25', '2026-12-25'] }, ['body', 'blackout_dates']],
    [
      '367 dates',
      { blackout_dates: Array.from({ length: 367 }, (_, i) => new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10)) },
      ['body', 'blackout_dates'],
    ],
    ['max_calls_per_minute of 0', { max_calls_per_minute: 0 }, ['body', 'max_calls_per_minute']],
    ['max_concurrent_calls beyond int32', { max_concurrent_calls: 2 ** 31 }, ['body', 'max_concurrent_calls']],
    ['max_calls_per_minute with a fraction', { max_calls_per_minute: 1.5 }, ['body', 'max_calls_per_minute']],
    ['a dispatch expiry of 0', { dispatch_expiry_minutes: 0 }, ['body', 'dispatch_expiry_minutes']],
    ['a dispatch expiry over a week', { dispatch_expiry_minutes: 10_081 }, ['body', 'dispatch_expiry_minutes']],
  ])('refuses %s', async (_case, overrides, loc) => {
    expectValidationError(await t.api('POST', '/campaigns', campaignInput(overrides)), loc);
  });

  it.each([
    ['year 0', ['0000-01-01']],
    ['the day before 1970', ['2026-12-25', '1969-12-31']],
  ])('refuses a blackout date before 1970 (%s), as date-times are, on POST and PATCH', async (_case, dates) => {
    const loc = ['body', 'blackout_dates', dates.length - 1];
    expectValidationError(await t.api('POST', '/campaigns', campaignInput({ blackout_dates: dates })), loc, 'date_out_of_range');
    const id = await createCampaign(t);
    expectValidationError(await t.api('PATCH', `/campaigns/${id}`, { blackout_dates: dates }), loc, 'date_out_of_range');
    expect((await t.api('GET', `/campaigns/${id}`)).json().blackout_dates).toEqual([]);
  });

  it('accepts the first and last days of the range and a leap day', async () => {
    const response = await t.api('POST', '/campaigns', campaignInput({ blackout_dates: ['9999-12-31', '1970-01-01', '2028-02-29'] }));
    expect(response.statusCode).toBe(201);
    expect(response.json().blackout_dates).toEqual(['1970-01-01', '2028-02-29', '9999-12-31']);
  });

  it("documents them on Campaign, CampaignCreate and CampaignUpdate, not on the execution contract's CampaignOut", async () => {
    const schemas = (await t.system.app!.inject({ method: 'GET', url: '/openapi.json' })).json().components.schemas;
    const fields = ['blackout_dates', 'max_calls_per_minute', 'max_concurrent_calls', 'dispatch_expiry_minutes'];
    for (const name of ['Campaign', 'CampaignCreate', 'CampaignUpdate']) expect(Object.keys(schemas[name].properties)).toEqual(expect.arrayContaining(fields));
    expect(schemas.CampaignCreate.properties.dispatch_expiry_minutes).toMatchObject({ type: 'integer', minimum: 1, maximum: 10_080, default: 60 });
    expect(schemas.CampaignCreate.properties.blackout_dates).toMatchObject({ type: 'array', maxItems: 366, items: { type: 'string', format: 'date' } });
    for (const field of fields) expect(schemas.CampaignOut.properties[field]).toBeUndefined();
  });
});

describe('POST /campaigns/{id}/targets', () => {
  it('keeps the valid rows of a batch and names every unstorable one by index and field', async () => {
    const id = await createCampaign(t);
    const rows = [
      { phone: '+14155550100', name: 'Valid' },
      { phone: '+14155550101', name: NUL },
      { phone: '+14155550102', variables: { ['k\u0000']: 1 } },
      { phone: '+14155550103', variables: { outer: { inner: [1, 'v\u0000'] } } },
      { phone: '+14155550104', variables: { a: '\ud800' } },
      { phone: '+14155550105', variables: { ['\udfff']: 'key' } },
      { phone: '+14155550106', variables: { blob: 'x'.repeat(9_000) } },
      { phone: '+14155550107', name: 'Also valid', variables: { plan: 'gold', nested: { ok: true } } },
    ];
    const response = await t.api('POST', `/campaigns/${id}/targets`, rows);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.inserted).toBe(2);
    const errors = Object.fromEntries(body.invalid.map((row: { index: number; errors: unknown[] }) => [row.index, row.errors[0]]));
    expect(Object.keys(errors).map(Number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(errors[1]).toMatchObject({ loc: ['name'], type: 'string_nul' });
    expect(errors[2]).toMatchObject({ loc: ['variables', 'k\u0000'], type: 'string_nul' });
    expect(errors[3]).toMatchObject({ loc: ['variables', 'outer', 'inner', 1], type: 'string_nul' });
    expect(errors[4]).toMatchObject({ loc: ['variables', 'a'], type: 'string_unicode' });
    expect(errors[5]).toMatchObject({ loc: ['variables', '\udfff'], type: 'string_unicode' });
    expect(errors[6]).toMatchObject({ loc: ['variables'], type: 'too_large' });
    const listed = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect(listed.map((target: { name: string }) => target.name)).toEqual(['Valid', 'Also valid']);
  });

  it('refuses variables nested 5,000 levels deep without overflowing the stack, keeping the other rows', async () => {
    const id = await createCampaign(t);
    const payload = `[{"phone":"+14155550110","variables":${deepJson(5_000)}},{"phone":"+14155550111","variables":${deepJson(32)}},{"phone":"+14155550112","variables":${deepJson(33)}}]`;
    const response = await raw('POST', `/campaigns/${id}/targets`, payload);
    expect(response.statusCode).toBe(200);
    expect(response.json().inserted).toBe(1);
    expect(response.json().invalid.map((row: { index: number; errors: Array<{ type: string }> }) => [row.index, row.errors[0]!.type])).toEqual([
      [0, 'too_deep'],
      [2, 'too_deep'],
    ]);
  });

  it('refuses numbers JSON cannot carry back (1e999)', async () => {
    const id = await createCampaign(t);
    const response = await raw('POST', `/campaigns/${id}/targets`, '[{"phone":"+14155550120","variables":{"n":1e999}}]');
    expect(response.json().invalid[0].errors[0]).toMatchObject({ loc: ['variables', 'n'], type: 'finite_number' });
  });
});

describe('outcomes, events and claims', () => {
  it('refuses unstorable outcome values and event times at their field, and then records a good outcome', async () => {
    const id = (await t.api('POST', '/campaigns', campaignInput({ call_attempt_delays: [0] }))).json().id;
    await t.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550130', email: 'a@example.com' }]);
    await t.api('POST', `/campaigns/${id}/start`);
    const call = await eventually(
      () => t.prisma.call.findFirst({ where: { campaignId: id } }),
      (row) => row !== null,
    );
    const outcome = (body: unknown) => t.api('POST', `/calls/${call!.id}/outcome`, body);
    expectValidationError(await outcome({ status: 'answered', duration_s: 3_000_000_000 }), ['body', 'duration_s'], 'int_out_of_range');
    expectValidationError(await outcome({ status: 'answered', summary: NUL }), ['body', 'summary'], 'string_nul');
    expectValidationError(await outcome({ status: 'answered', summary: LONE }), ['body', 'summary'], 'string_unicode');
    expectValidationError(await t.api('POST', `/calls/${call!.id}/claim`, { promotion: 2 ** 31 }), ['body', 'promotion']);
    expect((await t.prisma.call.findUniqueOrThrow({ where: { id: call!.id } })).status).toBe('scheduled');

    const targetEvent = (body: unknown) => t.api('POST', `/campaigns/${id}/targets/${call!.targetId}/events`, body);
    expectValidationError(await targetEvent({ type: 'email_sent', occurred_at: '0000-01-01T00:00:00Z' }), ['body', 'occurred_at'], 'datetime_out_of_range');
    expectValidationError(await targetEvent({ type: 'email_sent', occurred_at: '+275760-09-13T00:00:00Z' }), ['body', 'occurred_at']);
    expect(await t.prisma.emailEvent.count({ where: { campaignId: id } })).toBe(0);
    expect((await targetEvent({ type: 'email_sent', occurred_at: '2026-11-30T09:00:00Z' })).statusCode).toBe(200);

    const recorded = await claimAndReport(t, 'call', call!.id, { status: 'answered', duration_s: 2_147_483_647, summary: 's'.repeat(10_000) });
    expect(recorded.statusCode).toBe(200);
    expect(recorded.json().duration_s).toBe(2_147_483_647);
  });

  it('refuses a bearer token whose subject cannot be stored in the audit log', async () => {
    const token = await t.bearer({ org: t.org.id, sub: NUL });
    const response = await t.system.app!.inject({ method: 'GET', url: '/campaigns', headers: { authorization: `Bearer ${token}` } });
    expect(expectDetail(response, 401)).toContain('"sub"');
  });
});
