import { describe, expect, it } from 'vitest';
import { apiWithCampaign, campaignInput } from '../support/campaigns.js';
import { expectValidationError } from '../support/responses.js';

// Validation needs no workers: the API alone answers every request of this file.
const suite = apiWithCampaign();

describe('422 in the execution contract shape', () => {
  it.each([
    ['missing name', { agent_id: campaignInput().agent_id }, ['body', 'name']],
    ['agent_id not a uuid', campaignInput({ agent_id: 'agent-7' }), ['body', 'agent_id']],
    ['whatsapp_after_attempts below 1', campaignInput({ whatsapp_after_attempts: 0 }), ['body', 'whatsapp_after_attempts']],
    ['a negative delay', campaignInput({ call_attempt_delays: [30, -5] }), ['body', 'call_attempt_delays']],
    ['an unknown goal_logic', campaignInput({ goal_logic: 'most' }), ['body', 'goal_logic']],
    ['an unknown first contact channel', campaignInput({ first_contact_channel: 'sms' }), ['body', 'first_contact_channel']],
    ['window start after end', campaignInput({ call_working_hours: { start: '18:00', end: '09:00' } }), ['body', 'call_working_hours', 'end']],
    ['window start equal to end', campaignInput({ call_working_hours: { start: '09:00:00', end: '09:00' } }), ['body', 'call_working_hours', 'end']],
    ['weekday 8', campaignInput({ call_working_hours: { weekdays: [1, 8] } }), ['body', 'call_working_hours', 'weekdays']],
    ['weekday 0', campaignInput({ call_working_hours: { weekdays: [0] } }), ['body', 'call_working_hours', 'weekdays']],
    ['a malformed time', campaignInput({ call_working_hours: { start: '9am' } }), ['body', 'call_working_hours', 'start']],
    ['an unknown time zone', campaignInput({ timezone: 'Mars/Olympus' }), ['body', 'timezone']],
    ['an objective of unknown type', campaignInput({ goal_spec: { objectives: [{ type: 'sms' }] } }), ['body', 'goal_spec', 'objectives', 0]],
  ])('POST /campaigns with %s', async (_case, body, loc) => {
    const response = await suite.t.api('POST', '/campaigns', body);
    expectValidationError(response, loc);
  });

  it('reports a missing field as type "missing", like the execution contract', async () => {
    const response = await suite.t.api('POST', '/campaigns', { agent_id: campaignInput().agent_id });
    expect(response.json().detail).toContainEqual({ loc: ['body', 'name'], msg: 'Field required', type: 'missing' });
  });

  it('rejects a malformed campaign id in the path', async () => {
    expectValidationError(await suite.t.api('POST', '/campaigns/not-a-uuid/start'), ['path', 'campaign_id']);
    expectValidationError(await suite.t.api('GET', '/campaigns/12345'), ['path', 'campaign_id']);
  });

  it.each(['obj_id', 'agent_id', 'customer_id', 'knowledge_base_id', 'id'])('rejects a malformed %s query parameter', async (name) => {
    expectValidationError(await suite.t.api('POST', `/campaigns/${suite.campaignId}/complete?${name}=nope`), ['query', name]);
    expect((await suite.t.api('GET', `/campaigns/${suite.campaignId}`)).json().status).toBe('draft');
  });

  it('rejects a body that is not JSON', async () => {
    const response = await suite.t.system.app!.inject({
      method: 'POST',
      url: '/campaigns',
      headers: { 'x-api-key': suite.t.org.apiKey, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expectValidationError(response, ['body']);
  });

  it('accepts the valid forms and fills the defaults', async () => {
    const response = await suite.t.api(
      'POST',
      '/campaigns',
      campaignInput({
        call_working_hours: { start: '08:30', end: '17:00' },
        goal_spec: { objectives: [{}, { type: 'email' }, { type: 'ai', label_in: ['positive'], min_score: 0.7 }] },
        timezone: 'America/New_York',
      }),
    );
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      status: 'draft',
      goal_logic: 'all',
      first_contact_channel: 'call',
      whatsapp_after_attempts: 3,
      call_attempt_delays: [],
      call_working_hours: { start: '08:30:00', end: '17:00:00', weekdays: [1, 2, 3, 4, 5] },
      goal_spec: {
        objectives: [
          { type: 'contact', min_count: 1 },
          { type: 'email', min_count: 1 },
          { type: 'ai', label_in: ['positive'], min_score: 0.7 },
        ],
      },
      timezone: 'America/New_York',
    });
  });

  it('answers 404 with a detail for an unknown route', async () => {
    const response = await suite.t.api('GET', '/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'No route for GET /nowhere.' });
  });
});
