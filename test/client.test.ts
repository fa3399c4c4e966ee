import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applied, CommandRefused, createCampaignClient, type CampaignClient } from '../src/client/index.js';
import { ALL_WEEK, waitCampaignDone, type CampaignReader } from './support/campaigns.js';
import { startScriptedDialer, type ScriptedDialer } from './support/dialer.js';
import { startTestSystem, type TestSystem } from './support/harness.js';
import { AGENT_ID } from './support/sql-database.js';

/**
 * The typed client (src/client) drives a whole campaign over real HTTP, as an API process that
 * starts and resumes campaigns would. The system answers every lifecycle command 202
 * (COMMAND_WAIT_MS=0), so `applied` has to poll for each result.
 */

let t: TestSystem;
let client: CampaignClient;
let dialer: ScriptedDialer;

beforeAll(async () => {
  t = await startTestSystem({ COMMAND_WAIT_MS: '0', HOPPER_INTERVAL_MS: '200' });
  await t.system.app!.listen({ port: 0, host: '127.0.0.1' });
  client = createCampaignClient({ baseUrl: `http://127.0.0.1:${(t.system.app!.server.address() as AddressInfo).port}`, apiKey: t.org.apiKey });
  dialer = startScriptedDialer({ redisUrl: t.config.REDIS_URL, prefix: t.config.QUEUE_PREFIX });
});

afterAll(async () => {
  await dialer?.close();
  await t?.close();
});

/** The campaign read through the typed client too. */
const campaigns: CampaignReader = {
  status: async (campaignId) => (await client.GET('/campaigns/{campaign_id}', { params: { path: { campaign_id: campaignId } } })).data!.status,
  counts: async (campaignId) => (await client.GET('/campaigns/{campaign_id}/stats', { params: { path: { campaign_id: campaignId } } })).data,
};

describe('the typed client', () => {
  it('creates a campaign, adds targets as JSON and CSV, starts it, resumes a segment and reads the stats', { timeout: 60_000 }, async () => {
    const created = await client.POST('/campaigns', {
      body: { name: 'Renewals', agent_id: AGENT_ID, timezone: 'Europe/Paris', call_working_hours: ALL_WEEK, call_attempt_delays: [] },
    });
    expect(created.response.status).toBe(201);
    const campaign = created.data!;
    expect(campaign.status).toBe('draft');
    const path = { campaign_id: campaign.id };

    // Each target scripts the scripted dialer's outcome per attempt: attempt 2 is the resumed round's.
    const json = await client.POST('/campaigns/{campaign_id}/targets', {
      params: { path },
      body: [
        { name: 'Ada', phone: '+14155550101', variables: { calls: ['no_answer', 'answered'] } },
        { name: 'Alan', phone: '+442079460102', variables: { calls: ['no_answer', 'answered'] } },
      ],
    });
    expect(json.data).toEqual({ inserted: 2, duplicates: [], invalid: [] });
    // CSV is a text body: sent as is, with its media type.
    const csv = await client.POST('/campaigns/{campaign_id}/targets', {
      params: { path },
      body: 'name,phone\nGrace,+12125550103\n' as never,
      bodySerializer: (body: unknown) => body as string,
      headers: { 'content-type': 'text/csv' },
    });
    expect(csv.data).toEqual({ inserted: 1, duplicates: [], invalid: [] });

    const startAnswer = await client.POST('/campaigns/{campaign_id}/start', { params: { path } });
    expect(startAnswer.response.status).toBe(202);
    expect((await applied(client, startAnswer, { intervalMs: 50 })).status).toBe('running');
    await waitCampaignDone(campaigns, campaign.id, { timeoutMs: 30_000 });

    const resumeAnswer = await client.POST('/campaigns/{campaign_id}/resume', { params: { path }, body: { segment: 'not_answered' } });
    expect(await applied(client, resumeAnswer, { intervalMs: 50 })).toMatchObject({
      segment: 'not_answered',
      selected_targets: 3,
      scheduled_calls: 3,
      queued_whatsapp: 0,
      skipped_existing_pending: 0,
      skipped_missing_contact: 0,
    });
    await waitCampaignDone(campaigns, campaign.id, { timeoutMs: 30_000 });

    const { data: stats } = await client.GET('/campaigns/{campaign_id}/stats', { params: { path } });
    expect(stats).toMatchObject({
      targets: { total: 3, goal_met: 2, by_state: { goal_met: 2, not_answered: 1 } },
      calls: { answered: 2, no_answer: 4 },
      progress: 1,
    });
    const { data: calls } = await client.GET('/campaigns/{campaign_id}/calls', { params: { path, query: { status: 'answered' } } });
    expect(calls!.items.map((call) => call.attempt)).toEqual([2, 2]);
  });

  it('rejects a refused command with its status and detail, after polling its 202', async () => {
    const { data: campaign } = await client.POST('/campaigns', { body: { name: 'Done at once', agent_id: AGENT_ID } });
    const path = { campaign_id: campaign!.id };
    await applied(client, await client.POST('/campaigns/{campaign_id}/complete', { params: { path } }), { intervalMs: 50 });
    const refused = applied(client, await client.POST('/campaigns/{campaign_id}/start', { params: { path } }), { intervalMs: 50 });
    await expect(refused).rejects.toBeInstanceOf(CommandRefused);
    await expect(refused).rejects.toMatchObject({ status: 400, detail: expect.stringMatching(/done/) });
  });

  it('answers typed errors: a 404 detail, and a 422 pointing at the field', async () => {
    const missing = await client.GET('/campaigns/{campaign_id}', { params: { path: { campaign_id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toEqual({ detail: 'Campaign not found.' });

    const invalid = await client.POST('/campaigns', { body: { name: 'No agent' } as never });
    expect(invalid.response.status).toBe(422);
    expect(invalid.error).toMatchObject({ detail: [{ loc: ['body', 'agent_id'], type: 'missing' }] });
  });
});

describe('the SDK package (sdk/package.json)', () => {
  const manifest = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
  const server = manifest('../package.json');
  const sdk = manifest('../sdk/package.json');

  it("has the server's version, and depends on what the server itself runs the client and helper with", () => {
    expect(sdk.version).toBe(server.version);
    for (const [name, range] of Object.entries(sdk.dependencies)) expect({ [name]: range }).toEqual({ [name]: server.dependencies[name] });
  });
});
