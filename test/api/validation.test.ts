import { randomUUID } from 'node:crypto';
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

  it.each(['09:00:00.5', '09:00:00.000', '09:00:00,5', '09:00:00Z'])('refuses the time %s instead of dropping what HH:MM:SS cannot hold', async (time) => {
    const loc = ['body', 'call_working_hours', 'start'];
    expectValidationError(await suite.t.api('POST', '/campaigns', campaignInput({ call_working_hours: { start: time } })), loc, 'time_parsing');
    const patched = await suite.t.api('PATCH', `/campaigns/${suite.campaignId}`, { call_working_hours: { start: time, end: '18:00' } });
    expectValidationError(patched, loc, 'time_parsing');
    expect((await suite.t.api('GET', `/campaigns/${suite.campaignId}`)).json().call_working_hours.start).toBe('09:00:00');
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

  it.each([
    ['europe/paris', 'Europe/Paris'],
    ['US/Pacific', 'America/Los_Angeles'],
    ['US/Pacific-New', 'America/Los_Angeles'],
    ['Asia/Calcutta', 'Asia/Kolkata'],
    ['Asia/Saigon', 'Asia/Ho_Chi_Minh'],
    ['Etc/UTC', 'UTC'],
  ])('stores and answers the time zone %s as %s, on create and on PATCH', async (sent, canonical) => {
    const created = await suite.t.api('POST', '/campaigns', campaignInput({ timezone: sent }));
    expect(created.json().timezone).toBe(canonical);
    const id = created.json().id;
    expect((await suite.t.prisma.campaign.findUniqueOrThrow({ where: { id } })).timezone).toBe(canonical);
    const other = await suite.t.api('POST', '/campaigns', campaignInput());
    expect((await suite.t.api('PATCH', `/campaigns/${other.json().id}`, { timezone: sent })).json().timezone).toBe(canonical);
    expect((await suite.t.api('GET', `/campaigns/${other.json().id}`)).json().timezone).toBe(canonical);
  });

  it.each(['BST', 'IST', 'SystemV/AST4', 'Europe/Paris '])('refuses %j, which names no zone of the tz database, on create and on PATCH', async (zone) => {
    expectValidationError(await suite.t.api('POST', '/campaigns', campaignInput({ timezone: zone })), ['body', 'timezone']);
    expectValidationError(await suite.t.api('PATCH', `/campaigns/${suite.campaignId}`, { timezone: zone }), ['body', 'timezone']);
  });

  it('still answers a campaign stored with a name it would now refuse', async () => {
    const id = (await suite.t.api('POST', '/campaigns', campaignInput())).json().id;
    await suite.t.prisma.campaign.update({ where: { id }, data: { timezone: 'BST' } });
    const response = await suite.t.api('GET', `/campaigns/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().timezone).toBe('BST');
  });

  it('answers 404 with a detail for an unknown route', async () => {
    const response = await suite.t.api('GET', '/nowhere');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'No route for GET /nowhere.' });
  });
});

describe('text in the URL that PostgreSQL cannot store', () => {
  interface Operation {
    parameters?: Array<{ name: string; in: string }>;
    requestBody?: unknown;
  }
  /** Every operation's URL with its path parameters filled, and its query parameters, from the OpenAPI document. */
  async function queryParameters(): Promise<Array<{ method: string; url: string; name: string; body: object | undefined }>> {
    const document = (await suite.t.system.app!.inject({ method: 'GET', url: '/openapi.json' })).json();
    const found: Array<{ method: string; url: string; name: string; body: object | undefined }> = [];
    for (const [path, operations] of Object.entries<Record<string, Operation>>(document.paths)) {
      const url = path.replace('{campaign_id}', suite.campaignId).replace(/\{[a-z_]+\}/g, randomUUID());
      for (const [method, operation] of Object.entries(operations)) {
        // The body is validated before the query: a valid one (resume's fields all have defaults) lets the query be reached.
        const body = operation.requestBody === undefined ? undefined : {};
        for (const { name, in: location } of operation.parameters ?? []) {
          if (location === 'query') found.push({ method: method.toUpperCase(), url, name, body });
        }
      }
    }
    return found;
  }

  // `%ED%A0%80` is how U+D800 would be written if a lone surrogate could be UTF-8 (it cannot:
  // those bytes are invalid), `%C0%80` an overlong NUL (Java's modified UTF-8), `%F4%90%80%80`
  // beyond U+10FFFF, `%E2%82` a truncated sequence.
  it.each([
    ['%00', 'string_nul'],
    ['a%00b', 'string_nul'],
    ['%ED%A0%80', 'string_unicode'],
    ['x%ED%A0%80y', 'string_unicode'],
    ['%C0%80', 'string_unicode'],
    ['%F4%90%80%80', 'string_unicode'],
    ['%E2%82', 'string_unicode'],
  ])('every query parameter of every route refuses %s with 422 at its name', async (encoded, type) => {
    const parameters = await queryParameters();
    expect(parameters.map(({ name }) => name)).toEqual(expect.arrayContaining(['value', 'cursor', 'limit', 'agent_id', 'status', 'target_id']));
    const answers = [];
    for (const { method, url, name, body } of parameters) {
      const response = await suite.t.api(method, `${url}?${name}=${encoded}`, body);
      answers.push({ method, url, name, status: response.statusCode, body: response.json() });
    }
    expect(answers).toEqual(
      parameters.map(({ method, url, name }) => ({
        method,
        url,
        name,
        status: 422,
        body: { detail: [{ loc: ['query', name], msg: expect.any(String), type }] },
      })),
    );
  });

  it('refuses the same in a repeated parameter and in a parameter name', async () => {
    expectValidationError(await suite.t.api('GET', '/do-not-contact?value=a&value=%00'), ['query', 'value'], 'string_nul');
    expectValidationError(await suite.t.api('GET', '/do-not-contact?%00=1'), ['query', '\u0000'], 'string_nul');
  });

  it('reads U+FFFD, which Node writes for a lone surrogate in a URL, as the text it is', async () => {
    const viaNode = await suite.t.system.app!.inject({
      method: 'GET',
      url: '/do-not-contact',
      query: { value: '\ud800' },
      headers: { 'x-api-key': suite.t.org.apiKey },
    });
    expect(viaNode.statusCode).toBe(200);
    expect((await suite.t.api('GET', '/do-not-contact?value=%EF%BF%BD')).json()).toEqual({ items: [], next_cursor: null });
  });

  it('still decodes valid percent-encodings and "+" as before', async () => {
    expect((await suite.t.api('POST', '/do-not-contact', [{ email: 'pat+list@example.com' }])).statusCode).toBe(201);
    const search = async (query: string) => {
      const response = await suite.t.api('GET', `/do-not-contact?${query}`);
      expect(response.statusCode).toBe(200);
      return response.json().items.map((entry: { value: string }) => entry.value);
    };
    expect(await search('value=PAT%2Blist%40example.com')).toEqual(['pat+list@example.com']);
    expect(await search('value=pat+list@example.com')).toEqual([]);
    expect(await search('value=zo%C3%AB%F0%9F%98%80@example.com&limit=5')).toEqual([]);
  });

  it('refuses NUL in a path parameter at its name', async () => {
    expectValidationError(await suite.t.api('GET', '/campaigns/%00'), ['path', 'campaign_id'], 'string_nul');
    expectValidationError(await suite.t.api('DELETE', '/do-not-contact/a%00b'), ['path', 'entry_id'], 'string_nul');
  });
});
