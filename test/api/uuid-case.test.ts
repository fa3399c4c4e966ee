import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { eventually } from '../support/poll.js';
import { campaignInput, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type ApiClient, type TestSystem } from '../support/harness.js';
import { claimAndReport } from '../support/reports.js';

// Uuids are compared case-insensitively: every uuid the API receives is lower-cased at the
// boundary (path, query, body, the JWT's org claim).

const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '200' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const upper = (id: string) => id.toUpperCase();
const WHATSAPP_CHANNEL = '5b1c1a52-53b4-4a39-8d0e-2f9d6f4b8c02';

describe('a JWT whose org claim is in upper case', () => {
  it('reports call outcomes and WhatsApp events of its organization', async () => {
    const id = (await t.api('POST', '/campaigns', campaignInput({ call_attempt_delays: [0], whatsapp_channel_id: WHATSAPP_CHANNEL }))).json().id;
    await t.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550300' }, { whatsapp: '+14155550301' }]);
    expect((await t.api('POST', `/campaigns/${id}/start`)).statusCode).toBe(200);
    const call = await eventually(
      () => t.prisma.call.findFirst({ where: { campaignId: id } }),
      (row) => row !== null,
    );
    const message = await eventually(
      () => t.prisma.whatsappMessage.findFirst({ where: { campaignId: id } }),
      (row) => row !== null,
    );

    const token = await t.bearer({ org: upper(t.org.id), sub: 'dialer' });
    const headers = { authorization: `Bearer ${token}` };
    const dialer: ApiClient = (method, url, payload) => t.system.app!.inject({ method: method as 'POST', url, headers, payload: payload as object });
    expect((await claimAndReport(t, 'call', call!.id, { status: 'no_answer' }, dialer)).statusCode).toBe(200);
    expect((await claimAndReport(t, 'whatsapp', message!.id, { event: 'sent' }, dialer)).statusCode).toBe(200);
    const read = await t.system.app!.inject({ method: 'GET', url: `/campaigns/${upper(id)}`, headers });
    expect(read.json().id).toBe(id);
  });
});

describe('uuids in upper case in the path, query and body', () => {
  it('replays an Idempotency-Key whatever the case of the campaign id', async () => {
    const id = await createCampaign(t, { targets: ONE_TARGET });
    const key = { 'idempotency-key': `case-${id}` };
    const first = await t.api('POST', `/campaigns/${id}/start`, undefined, key);
    expect(first.statusCode).toBe(200);
    const replay = await t.api('POST', `/campaigns/${upper(id)}/start`, undefined, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(first.json());
    expect(await t.prisma.command.count({ where: { campaignId: id } })).toBe(1);
  });

  it('matches the agent_id query parameter and reads body uuids in lower case', async () => {
    const agent = '0B6F0D3E-8A41-4D4E-9A0E-3F1F6F1C2A10';
    const created = await t.api('POST', '/campaigns', campaignInput({ agent_id: agent, phone_number_id: 'ABCDEF01-2345-4678-9ABC-DEF012345678' }));
    expect(created.json()).toMatchObject({ agent_id: agent.toLowerCase(), phone_number_id: 'abcdef01-2345-4678-9abc-def012345678' });
    const id = created.json().id;
    await t.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550310' }]);
    const started = await t.api('POST', `/campaigns/${upper(id)}/start?agent_id=${agent}&obj_id=${upper(id)}`);
    expect(started.statusCode).toBe(200);
    expect(started.json().id).toBe(id);
  });

  it('treats a customer_id in upper case as the same customer, and filters by upper-case ids', async () => {
    const id = await createCampaign(t);
    const customer = '3c9a1d52-7c1e-4b8f-9a3e-1d2c3b4a5f60';
    const added = await t.api('POST', `/campaigns/${upper(id)}/targets`, [
      { customer_id: customer, phone: '+14155550320' },
      { customer_id: upper(customer), phone: '+14155550321' },
    ]);
    expect(added.json()).toMatchObject({ inserted: 1, duplicates: [{ index: 1 }] });
    const [target] = (await t.api('GET', `/campaigns/${id}/targets`)).json().items;
    expect(target.customer_id).toBe(customer);

    const page = (await t.api('GET', `/campaigns/${upper(id)}/targets?limit=1&cursor=${upper(target.id)}`)).json();
    expect(page.items).toEqual([]);
    const calls = await t.api('GET', `/campaigns/${id}/calls?target_id=${upper(target.id)}`);
    expect(calls.statusCode).toBe(200);
  });
});
