import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestClock } from '../support/clock.js';
import { startTestDialer } from '../support/contacts.js';
import { createCampaign, waitCampaignDone } from '../support/campaigns.js';
import { startTestSystem, type TestOrganization, type TestSystem } from '../support/harness.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/poll.js';
import { claimAndReport } from '../support/reports.js';

/*
 * Opt-outs captured (docs/product.md "Contact caps and opt-outs") through the API: a call outcome
 * with opt_out reported by the helper dialer, and a "Stop" reply reported over plain HTTP. Each
 * must stop every campaign of the organization from contacting the person again.
 */

// Monday 2026-11-30 10:00 UTC: inside the default 09:00–19:00 weekday window.
const clock = createTestClock(new Date('2026-11-30T10:00:00Z'));
let t: TestSystem;

beforeAll(async () => {
  t = await startTestSystem({ HOPPER_INTERVAL_MS: '100', SCHEDULE_HORIZON_SECONDS: '1' }, 'all', { clock: clock.now });
});
afterAll(() => t?.close());

const WHATSAPP_CHANNEL = '6c3a1c0e-2f7b-4c55-9a51-0d0f6c1b2a33';
const inAnHour = () => new Date(clock.now().getTime() + 3600_000).toISOString();

type Api = TestOrganization['api'];
type CallRow = { id: string; target_id: string; status: string; cancel_reason: string | null; opt_out: boolean };
const callsOf = async (api: Api, id: string) => (await api('GET', `/campaigns/${id}/calls`)).json().items as CallRow[];
const targetsOf = async (api: Api, id: string) =>
  (await api('GET', `/campaigns/${id}/targets`)).json().items as Array<{ id: string; state: string; opted_out_at: string | null }>;
const listOf = async (api: Api) => (await api('GET', '/do-not-contact')).json().items as Array<Record<string, unknown>>;
const asOrganization = (org: TestOrganization) => ({ ...t, api: org.api });

describe('an opt_out call outcome, reported by the helper dialer', () => {
  it("lists the person's every identifier and stops every campaign of the organization from contacting them", async () => {
    const org = await t.newOrganization();
    const headers = { 'x-api-key': org.apiKey };
    const person = { phone: '+14155550501', whatsapp: '+14155550502', email: 'Pat@Example.com', customer_id: '7a0d4d8e-3b1c-4f4e-8a39-5b0e8c7f1a01' };
    // The same person waits in another campaign (its calls start in an hour), under the same customer id.
    const waiting = await createCampaign(t, {
      settings: { name: 'later', starts_at: inAnHour() },
      targets: [{ ...person, phone: '+14155550503' }],
      start: true,
      headers,
    });
    await eventually(
      () => callsOf(org.api, waiting),
      (calls) => calls.length === 1,
    );
    const dialer = startTestDialer(t, clock.now);
    try {
      const heard = await createCampaign(t, {
        settings: { name: 'now' },
        targets: [{ ...person, variables: { calls: [{ status: 'answered', opt_out: true }] } }],
        start: true,
        headers,
      });
      await waitCampaignDone(asOrganization(org), heard);
      const [call] = await callsOf(org.api, heard);
      expect(call).toMatchObject({ status: 'answered', opt_out: true });
      const [target] = await targetsOf(org.api, heard);
      expect(target!.opted_out_at).not.toBeNull();
      const source = { reason: 'opt_out', source: { campaign_id: heard, target_id: target!.id, call_id: call!.id, message_id: null } };
      expect(await listOf(org.api)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'phone', value: '+14155550501', ...source }),
          expect.objectContaining({ kind: 'whatsapp', value: '+14155550502', ...source }),
          expect.objectContaining({ kind: 'email', value: 'pat@example.com', ...source }),
          expect.objectContaining({ kind: 'customer_id', value: person.customer_id, ...source }),
        ]),
      );
      expect((await org.api('GET', `/campaigns/${heard}/stats`)).json().contact_rules.opt_outs).toBe(1);

      // The other campaign's pending call is canceled at once, and that campaign completes.
      await waitCampaignDone(asOrganization(org), waiting);
      expect(await callsOf(org.api, waiting)).toEqual([expect.objectContaining({ status: 'canceled', cancel_reason: 'do_not_contact' })]);
      expect((await targetsOf(org.api, waiting))[0]!.state).toBe('do_not_contact');

      // A campaign started afterwards opens no round for them.
      const later = await createCampaign(t, { settings: { name: 'afterwards' }, targets: [{ phone: '+14155550501' }], start: true, headers });
      await waitCampaignDone(asOrganization(org), later);
      expect(await callsOf(org.api, later)).toEqual([]);
      expect((await targetsOf(org.api, later))[0]!.state).toBe('do_not_contact');
      expect(dialer.dials.filter((dial) => dial.data.phone.startsWith('+1415555050'))).toHaveLength(1);
      expect(metricValue((await t.api('GET', '/metrics')).body, 'campaign_opt_outs_total', { source: 'call' })).toBeGreaterThanOrEqual(1);
    } finally {
      await dialer.close();
    }
  });

  it('is refused on a call that was not answered (422 at opt_out), and records nothing', async () => {
    const id = await createCampaign(t, { targets: [{ phone: '+14155550504' }], start: true });
    const [call] = await eventually(
      () => callsOf(t.api, id),
      (calls) => calls.length === 1,
    );
    const answer = await claimAndReport(t, 'call', call!.id, { status: 'no_answer', opt_out: true });
    expect(answer.statusCode).toBe(422);
    expect(answer.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'opt_out'] })]);
    expect((await callsOf(t.api, id))[0]!.status).toBe('dialing');
    expect((await t.api('GET', '/do-not-contact?value=%2B14155550504')).json().items).toEqual([]);
  });
});

describe('a "Stop" reply, reported over plain HTTP', () => {
  async function messageOf(campaignId: string) {
    return eventually(
      () => t.prisma.whatsappMessage.findFirst({ where: { campaignId } }),
      (message) => message?.promotedAt != null,
    );
  }

  it('opts the person out of every campaign of the organization; a later STOP after a first reply counts too', async () => {
    const org = await t.newOrganization();
    const headers = { 'x-api-key': org.apiKey };
    const settings = { whatsapp_channel_id: WHATSAPP_CHANNEL, first_contact_channel: 'whatsapp', whatsapp_first_message: 'Hi from Acme' };
    const waiting = await createCampaign(t, { settings: { name: 'later', starts_at: inAnHour() }, targets: [{ phone: '+14155550511' }], start: true, headers });
    await eventually(
      () => callsOf(org.api, waiting),
      (calls) => calls.length === 1,
    );
    const texting = await createCampaign(t, { settings, targets: [{ phone: '+14155550511', whatsapp: '+14155550512' }], start: true, headers });
    const message = (await messageOf(texting))!;
    expect((await claimAndReport(t, 'whatsapp', message.id, { event: 'sent' }, org.api)).statusCode).toBe(200);
    const hello = await org.api('POST', `/whatsapp-messages/${message.id}/events`, { event: 'replied', text: 'Who is this?' });
    expect(hello.json()).toMatchObject({ status: 'replied', reply_text: 'Who is this?', opt_out: false });
    const stop = await org.api('POST', `/whatsapp-messages/${message.id}/events`, { event: 'replied', text: '  Stop ' });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toMatchObject({ status: 'replied', reply_text: 'Who is this?', opt_out: true });

    expect((await org.api('GET', '/do-not-contact?value=%2B14155550511')).json().items).toEqual([
      expect.objectContaining({
        kind: 'phone',
        reason: 'opt_out',
        source: expect.objectContaining({ campaign_id: texting, message_id: message.id, call_id: null }),
      }),
    ]);
    // Neither campaign contacts the person again: the texting campaign's call ended with the first
    // reply (it reached them: goal met), the other campaign's waiting call is canceled by the opt-out.
    await waitCampaignDone(asOrganization(org), texting);
    await waitCampaignDone(asOrganization(org), waiting);
    expect(await callsOf(org.api, texting)).toEqual([expect.objectContaining({ status: 'canceled', dialing_at: null })]);
    expect(await callsOf(org.api, waiting)).toEqual([expect.objectContaining({ status: 'canceled', cancel_reason: 'do_not_contact' })]);
    expect((await targetsOf(org.api, waiting))[0]!.state).toBe('do_not_contact');
    expect((await org.api('GET', `/campaigns/${texting}/stats`)).json().contact_rules.opt_outs).toBe(1);
  });

  it('uses the organization keywords, and takes a text only with replied', async () => {
    const org = await t.newOrganization();
    await org.api('PUT', '/contact-policy', { opt_out_keywords: ['ARRÊT'] });
    const settings = { whatsapp_channel_id: WHATSAPP_CHANNEL, whatsapp_first_message: 'Bonjour' };
    const id = await createCampaign(t, { settings, targets: [{ whatsapp: '+33612345678' }], start: true, headers: { 'x-api-key': org.apiKey } });
    const message = (await messageOf(id))!;
    const withText = await claimAndReport(t, 'whatsapp', message.id, { event: 'sent', text: 'hello' }, org.api);
    expect(withText.statusCode).toBe(422);
    expect(withText.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'text'], msg: 'text goes with the replied event only' })]);
    expect((await org.api('POST', `/whatsapp-messages/${message.id}/events`, { event: 'sent' })).statusCode).toBe(200);
    const stop = await org.api('POST', `/whatsapp-messages/${message.id}/events`, { event: 'replied', text: 'STOP' });
    expect(stop.json().opt_out).toBe(false);
    const arret = await org.api('POST', `/whatsapp-messages/${message.id}/events`, { event: 'replied', text: 'arrêt' });
    expect(arret.json().opt_out).toBe(true);
    expect((await org.api('GET', '/do-not-contact?value=%2B33612345678')).json().items).toEqual([expect.objectContaining({ reason: 'opt_out' })]);
  });
});
