import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignInput, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
});
afterAll(() => t?.close());

describe('campaign resource', () => {
  it('creates a draft campaign and reads it back', async () => {
    const created = await t.api('POST', '/campaigns', campaignInput({ whatsapp_channel_id: '1f0e4b4c-2f5a-4f7e-9d55-6f1b0c2d3e4f' }));
    expect(created.statusCode).toBe(201);
    const campaign = created.json();
    expect(campaign).toMatchObject({ status: 'draft', timezone: 'UTC', whatsapp_channel_id: '1f0e4b4c-2f5a-4f7e-9d55-6f1b0c2d3e4f' });
    expect(campaign).not.toHaveProperty('phone_number_id');
    expect(new Date(campaign.created_at).toISOString()).toBe(campaign.created_at);
    expect((await t.api('GET', `/campaigns/${campaign.id}`)).json()).toEqual(campaign);
  });

  it('lists campaigns with cursor pagination, each exactly once', async () => {
    const org = await t.newOrganization();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await org.api('POST', '/campaigns', campaignInput({ name: `c${i}` }))).json().id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await org.api('GET', `/campaigns?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body.items.length).toBeLessThanOrEqual(3);
      seen.push(...body.items.map((item: { id: string }) => item.id));
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it('rejects a limit out of range', async () => {
    expect((await t.api('GET', '/campaigns?limit=0')).statusCode).toBe(422);
    expect((await t.api('GET', '/campaigns?limit=501')).statusCode).toBe(422);
  });

  it('edits a draft and a paused campaign, clears optional settings with null', async () => {
    const goalSpec = { objectives: [{ type: 'ai', min_score: 0.8 }] };
    const id = await createCampaign(t, { settings: { goal: 'renew', goal_spec: goalSpec }, targets: ONE_TARGET });
    expect((await t.api('GET', `/campaigns/${id}`)).json().goal_spec).toMatchObject(goalSpec);
    const edited = await t.api('PATCH', `/campaigns/${id}`, { name: 'Renamed', goal: null, goal_spec: null, call_attempt_delays: [10, 60] });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ name: 'Renamed', call_attempt_delays: [10, 60] });
    expect(edited.json()).not.toHaveProperty('goal');
    expect(edited.json()).not.toHaveProperty('goal_spec');
    await t.api('POST', `/campaigns/${id}/start`);
    await t.api('POST', `/campaigns/${id}/pause`);
    const paused = await t.api('PATCH', `/campaigns/${id}`, { whatsapp_after_attempts: 2 });
    expect(paused.json()).toMatchObject({ status: 'paused', whatsapp_after_attempts: 2 });
  });

  it.each([
    ['running', ['start']],
    ['done', ['complete']],
  ])('refuses to edit a %s campaign with 409', async (status, commands) => {
    const id = await createCampaign(t, { targets: ONE_TARGET });
    for (const command of commands) await t.api('POST', `/campaigns/${id}/${command}`);
    const response = await t.api('PATCH', `/campaigns/${id}`, { name: 'nope' });
    expect(response.statusCode).toBe(409);
    expect(response.json().detail).toContain(`A ${status} campaign cannot be edited`);
    expect((await t.api('GET', `/campaigns/${id}`)).json().name).toBe('Spring renewals');
  });

  it('refuses an empty PATCH', async () => {
    const id = await createCampaign(t);
    expect((await t.api('PATCH', `/campaigns/${id}`, {})).statusCode).toBe(422);
  });
});
