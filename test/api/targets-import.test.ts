import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { expectDetail, expectValidationError } from '../support/responses.js';

// Bulk loads: CSV and NDJSON bodies of up to 100,000 rows, validated row by row like JSON.

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({}, 'api');
});
afterAll(() => t?.close());

const phone = (n: number) => `+1202${String(n).padStart(7, '0')}`;
const upload = (id: string, type: string, payload: string) =>
  t.system.app!.inject({ method: 'POST', url: `/campaigns/${id}/targets`, headers: { 'x-api-key': t.org.apiKey, 'content-type': type }, payload });
const listed = async (id: string) => (await t.api('GET', `/campaigns/${id}/targets?limit=500`)).json().items;

describe('text/csv', () => {
  it('reads a header row, var_<name> columns into variables, empty cells as absent', async () => {
    const id = await createCampaign(t);
    const csv = [
      '\ufeffcustomer_id,name,phone,whatsapp,email,timezone,var_plan,var_note',
      `,"Ada, Countess",${phone(1)},,,Europe/London,gold,"said ""call me"""`,
      `,Bad phone,555-1234,,,,,`,
      `,Ada again,${phone(1)},,,,,`,
      '3C9A1D52-7C1E-4B8F-9A3E-1D2C3B4A5F60,,,,c@example.com,,,',
      `,Too wide,${phone(2)},,,,,,extra`,
      '',
      `,Zone,${phone(3)},,,Mars/Olympus,,`,
      `,Grace,${phone(4)},${phone(5)},,,silver,`,
    ].join('\r\n');
    const response = await upload(id, 'text/csv; charset=utf-8', csv);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.inserted).toBe(3);
    expect(body.duplicates).toEqual([{ index: 2, reason: 'same phone as an earlier row of this request' }]);
    expect(body.invalid.map((row: { index: number; errors: Array<{ loc: unknown[] }> }) => [row.index, row.errors[0]!.loc])).toEqual([
      [1, ['phone']],
      [4, []],
      [5, ['timezone']],
    ]);
    const targets = await listed(id);
    expect(targets.map((target: { name: string | null }) => target.name)).toEqual(['Ada, Countess', null, 'Grace']);
    expect(targets[0]).toMatchObject({ timezone: 'Europe/London', variables: { plan: 'gold', note: 'said "call me"' }, whatsapp: null, email: null });
    expect(targets[1]).toMatchObject({ customer_id: '3c9a1d52-7c1e-4b8f-9a3e-1d2c3b4a5f60', variables: {} });
    expect(targets[2]).toMatchObject({ whatsapp: phone(5), variables: { plan: 'silver' } });
  });

  it.each([
    ['an unknown column', 'phone,nickname\n+14155550100,x', ['body', 'header', 1]],
    ['a repeated column', 'phone,phone\n+14155550100,+14155550101', ['body', 'header', 1]],
    ['an empty variable name', 'phone,var_\n+14155550100,x', ['body', 'header', 1]],
    ['an unclosed quote', 'phone,name\n+14155550100,"Ada', ['body']],
    ['no header', '', ['body']],
  ])('refuses the request for %s', async (_case, csv, loc) => {
    const id = await createCampaign(t);
    expectValidationError(await upload(id, 'text/csv', csv), loc);
    expect(await listed(id)).toEqual([]);
  });

  it('takes 100,000 rows in one request and refuses more', async () => {
    const id = await createCampaign(t);
    const rows = Array.from({ length: 100_000 }, (_, i) => `${phone(i)},T${i},${i}`);
    const response = await upload(id, 'text/csv', ['phone,name,var_n', ...rows].join('\n'));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ inserted: 100_000, duplicates: [], invalid: [] });
    expect(await t.prisma.target.count({ where: { campaignId: id } })).toBe(100_000);
    const first = (await t.api('GET', `/campaigns/${id}/targets?limit=2`)).json().items;
    expect(first.map((target: { name: string }) => target.name)).toEqual(['T0', 'T1']);

    const other = await createCampaign(t);
    const tooMany = await upload(other, 'text/csv', ['phone', ...Array.from({ length: 100_001 }, (_, i) => phone(i))].join('\n'));
    expectValidationError(tooMany, ['body'], 'too_long');
    expect(await t.prisma.target.count({ where: { campaignId: other } })).toBe(0);
  });
});

describe('application/x-ndjson', () => {
  it('reads one target per line; a line that is not JSON is an invalid row; blank lines are skipped', async () => {
    const id = await createCampaign(t);
    const lines = [
      JSON.stringify({ phone: phone(10), name: 'One', variables: { tier: 2 } }),
      '',
      '{"phone": "+1202000001',
      JSON.stringify({ phone: phone(11), name: 'N\u0000UL' }),
      '{"__proto__": {"admin": true}, "phone": "+12020000012"}',
      '[1, 2]',
      JSON.stringify({ email: 'two@example.com' }),
    ];
    const response = await upload(id, 'application/x-ndjson', `${lines.join('\n')}\n`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.inserted).toBe(2);
    expect(body.invalid.map((row: { index: number; errors: Array<{ type: string }> }) => [row.index, row.errors[0]!.type])).toEqual([
      [1, 'json_invalid'],
      [2, 'string_nul'],
      [3, 'json_invalid'],
      [4, 'object_type'],
    ]);
    expect((await listed(id)).map((target: { variables: unknown }) => target.variables)).toEqual([{ tier: 2 }, {}]);
  });

  it('takes 100,000 lines and refuses more', async () => {
    const id = await createCampaign(t);
    const body = Array.from({ length: 100_000 }, (_, i) => `{"phone":"${phone(i)}"}`).join('\n');
    expect((await upload(id, 'application/x-ndjson', body)).json().inserted).toBe(100_000);
    const other = await createCampaign(t);
    expectValidationError(await upload(other, 'application/x-ndjson', `${body}\n{"phone":"+14155550100"}`), ['body'], 'too_long');
  });
});

describe('every format', () => {
  it('keeps JSON arrays to 10,000 rows, pointing to CSV and NDJSON for more', async () => {
    const id = await createCampaign(t);
    const response = await t.api(
      'POST',
      `/campaigns/${id}/targets`,
      Array.from({ length: 10_001 }, (_, i) => ({ phone: phone(i) })),
    );
    expectValidationError(response, ['body'], 'too_long');
    expect(response.json().detail[0].msg).toContain('text/csv');
  });

  it('refuses targets for a running campaign with 409 and inserts nothing', async () => {
    const id = await createCampaign(t, { targets: ONE_TARGET });
    await t.prisma.campaign.update({ where: { id }, data: { status: 'running' } });
    expectDetail(await upload(id, 'text/csv', `phone\n${phone(20)}`), 409);
    expectDetail(await upload(id, 'application/x-ndjson', `{"phone":"${phone(21)}"}`), 409);
    expect(await listed(id)).toHaveLength(1);
  });

  it("answers 404 for another organization's campaign", async () => {
    const id = await createCampaign(t);
    const other = await t.newOrganization();
    const response = await other.api('POST', `/campaigns/${id}/targets`, `phone\n${phone(30)}`, { 'content-type': 'text/csv' });
    expectDetail(response, 404);
  });
});

describe('time zones', () => {
  // Each name a client may send, and the current IANA name stored and answered for it.
  const ZONES: Array<[string, string]> = [
    ['europe/paris', 'Europe/Paris'],
    ['US/Pacific', 'America/Los_Angeles'],
    ['US/Pacific-New', 'America/Los_Angeles'],
    ['Asia/Calcutta', 'Asia/Kolkata'],
    ['Europe/Kiev', 'Europe/Kyiv'],
  ];
  const stored = async (id: string) =>
    (await t.prisma.target.findMany({ where: { campaignId: id }, orderBy: { id: 'asc' }, select: { timezone: true } })).map((row) => row.timezone);

  it.each([
    ['JSON', 'application/json', (rows: Array<Record<string, string>>) => JSON.stringify(rows)],
    ['CSV', 'text/csv', (rows: Array<Record<string, string>>) => ['phone,timezone', ...rows.map((row) => `${row.phone},${row.timezone}`)].join('\n')],
    ['NDJSON', 'application/x-ndjson', (rows: Array<Record<string, string>>) => rows.map((row) => JSON.stringify(row)).join('\n')],
  ])('are stored and answered under their current IANA name from %s rows; abbreviations are invalid rows', async (_format, type, body) => {
    const id = await createCampaign(t);
    const rows = [...ZONES.map(([sent], i) => ({ phone: phone(40 + i), timezone: sent })), { phone: phone(49), timezone: 'BST' }];
    const response = await upload(id, type, body(rows));
    expect(response.statusCode).toBe(200);
    expect(response.json().inserted).toBe(ZONES.length);
    expect(response.json().invalid).toEqual([{ index: ZONES.length, errors: [{ loc: ['timezone'], msg: expect.stringContaining('IANA'), type: 'custom' }] }]);
    const canonical = ZONES.map(([, name]) => name);
    expect((await listed(id)).map((target: { timezone: string }) => target.timezone)).toEqual(canonical);
    expect(await stored(id)).toEqual(canonical);
  });
});
