import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignInput, createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, TEST_JWT_SECRET, type TestSystem } from '../support/harness.js';

const MAX_AGE = 3_600;
let t: TestSystem;
let campaignId: string;
beforeAll(async () => {
  t = await startTestSystem({ JWT_MAX_AGE_SECONDS: String(MAX_AGE) });
  campaignId = await createCampaign(t, { targets: ONE_TARGET });
});
afterAll(() => t?.close());

const anonymous = (method: string, url: string, headers: Record<string, string> = {}) => t.system.app!.inject({ method: method as 'GET', url, headers });

describe('authentication', () => {
  it('refuses a request without credentials with 401 and a clear detail', async () => {
    const response = await anonymous('GET', '/campaigns');
    expect(response.statusCode).toBe(401);
    expect(response.json().detail).toMatch(/X-API-Key/);
  });

  it('refuses an unknown API key', async () => {
    const response = await anonymous('GET', '/campaigns', { 'x-api-key': 'cek_not-a-real-key' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ detail: 'The API key is invalid or revoked.' });
  });

  it('authenticates before validating: a bad body without credentials is a 401', async () => {
    const response = await t.system.app!.inject({ method: 'POST', url: '/campaigns', payload: { name: '' } });
    expect(response.statusCode).toBe(401);
  });

  it('accepts a bearer JWT whose org claim names the organization', async () => {
    const token = await t.bearer({ org: t.org.id, sub: 'user-7' });
    const response = await anonymous('GET', `/campaigns/${campaignId}`, { authorization: `Bearer ${token}` });
    expect(response.statusCode).toBe(200);
    const started = await anonymous('POST', `/campaigns/${campaignId}/start`, { authorization: `Bearer ${token}` });
    expect(started.statusCode).toBe(200);
    const events = (await t.api('GET', `/campaigns/${campaignId}/events`)).json().items;
    expect(events.at(-1).actor).toBe('jwt:user-7');
  });

  it.each([
    ['signed with another secret', async () => t.bearer({ org: t.org.id }, 'another-secret-of-at-least-32-characters!!')],
    ['without an org claim', async () => t.bearer({ sub: 'x' })],
    ['naming an organization that does not exist', async () => t.bearer({ org: '6a0c4a37-4a0e-4f4b-8e53-5e9b3c0f7d11' })],
    [
      'expired',
      async () =>
        new SignJWT({ org: t.org.id })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(new TextEncoder().encode(TEST_JWT_SECRET)),
    ],
    ['not a JWT at all', async () => 'not.a.jwt'],
  ])('refuses a bearer token %s', async (_case, token) => {
    const response = await anonymous('GET', '/campaigns', { authorization: `Bearer ${await token()}` });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ detail: expect.stringMatching(/token/) });
  });

  it('refuses other Authorization schemes', async () => {
    const response = await anonymous('GET', '/campaigns', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.statusCode).toBe(401);
  });
});

describe('the maximum token age (JWT_MAX_AGE_SECONDS, here 3,600 s)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** A token for the test organization whose time claims are exactly these. */
  const timed = (claims: Record<string, unknown>) =>
    new SignJWT({ org: t.org.id, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET));
  const withToken = async (claims: Parameters<typeof timed>[0]) => anonymous('GET', '/campaigns', { authorization: `Bearer ${await timed(claims)}` });

  it.each<[string, () => Parameters<typeof timed>[0]]>([
    ['an iat and an exp within the maximum age', () => ({ iat: now() - 60, exp: now() + MAX_AGE - 60 })],
    ['an iat as old as allowed, without exp', () => ({ iat: now() - MAX_AGE + 5 })],
    ['an exp alone, within the maximum age from now', () => ({ exp: now() + MAX_AGE - 5 })],
    ['an iat a few seconds ahead of this clock', () => ({ iat: now() + 5, exp: now() + 600 })],
  ])('accepts a token with %s', async (_case, claims) => {
    expect((await withToken(claims())).statusCode).toBe(200);
  });

  it.each<[string, () => Parameters<typeof timed>[0], RegExp]>([
    ['neither iat nor exp', () => ({}), /"iat".*"exp"/],
    ['an iat older than the maximum age', () => ({ iat: now() - MAX_AGE - 120, exp: now() + 600 }), /too old.*3600 s/],
    ['an iat older than the maximum age and no exp', () => ({ iat: now() - MAX_AGE - 120 }), /too old/],
    ['an exp further than the maximum age after its iat', () => ({ iat: now(), exp: now() + MAX_AGE + 120 }), /lives longer.*3600 s.*after its "iat"/],
    ['an exp alone, further than the maximum age from now', () => ({ exp: now() + 2 * MAX_AGE }), /lives longer.*after now/],
    ['an iat in the future', () => ({ iat: now() + 600, exp: now() + 1_200 }), /in the future/],
    ['an iat that is not a number', () => ({ iat: 'yesterday', exp: now() + 600 }), /"iat" claim must be a number/],
    ['an exp that is not a number', () => ({ exp: 'tomorrow' }), /"exp" claim must be a number/],
    ['an nbf in the future', () => ({ iat: now(), exp: now() + 600, nbf: now() + 300 }), /not valid yet/],
  ])('refuses a token with %s with 401 and a sentence naming the problem', async (_case, claims, detail) => {
    const response = await withToken(claims());
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ detail: expect.stringMatching(detail) });
    expect(response.body).not.toContain(TEST_JWT_SECRET);
  });
});

describe('organization isolation', () => {
  it("answers 404, never 403, for another organization's campaign on every route", async () => {
    const other = await t.newOrganization();
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/campaigns/${campaignId}`],
      ['PATCH', `/campaigns/${campaignId}`, { name: 'stolen' }],
      ['POST', `/campaigns/${campaignId}/targets`, [{ phone: '+14155550100' }]],
      ['GET', `/campaigns/${campaignId}/targets`],
      ['GET', `/campaigns/${campaignId}/events`],
      ['POST', `/campaigns/${campaignId}/start`],
      ['POST', `/campaigns/${campaignId}/pause`],
      ['POST', `/campaigns/${campaignId}/complete`],
    ];
    for (const [method, url, payload] of routes) {
      const response = await other.api(method, url, payload);
      expect({ method, url, status: response.statusCode }).toEqual({ method, url, status: 404 });
      expect(response.json()).toEqual({ detail: expect.any(String) });
    }
    expect((await other.api('GET', '/campaigns')).json().items).toEqual([]);
    expect((await t.api('GET', `/campaigns/${campaignId}`)).json().name).toBe('Spring renewals');
  });

  it("hides another organization's command", async () => {
    const other = await t.newOrganization();
    const commandId = (await t.api('GET', `/campaigns/${campaignId}/events`)).json().items[0].command_id;
    const response = await other.api('GET', `/commands/${commandId}`);
    expect(response.statusCode).toBe(404);
    expect((await t.api('GET', `/commands/${commandId}`)).statusCode).toBe(200);
  });
});

describe('agent_id query parameter', () => {
  it("must name the campaign's agent, else 404", async () => {
    const id = await createCampaign(t);
    const wrong = await t.api('POST', `/campaigns/${id}/start?agent_id=7d1b1a52-53b4-4a39-8d0e-2f9d6f4b8c01`);
    expect(wrong.statusCode).toBe(404);
    expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe('draft');
    const right = await t.api('POST', `/campaigns/${id}/start?agent_id=${campaignInput().agent_id}`);
    expect(right.statusCode).toBe(200);
  });
});
