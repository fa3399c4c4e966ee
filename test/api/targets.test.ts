import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem();
});
afterAll(() => t?.close());

const phone = (n: number) => `+1415555${String(n).padStart(4, '0')}`;

describe('POST /campaigns/{id}/targets', () => {
  it('keeps valid rows and reports duplicates and invalid rows by index', async () => {
    const id = await createCampaign(t);
    const customer = '3c9a1d52-7c1e-4b8f-9a3e-1d2c3b4a5f60';
    const response = await t.api('POST', `/campaigns/${id}/targets`, [
      { name: 'Ada', phone: phone(1), timezone: 'Europe/London', variables: { plan: 'gold' } },
      { name: 'Bad phone', phone: '555-1234' },
      { name: 'Ada again', phone: phone(1) },
      { customer_id: customer, phone: phone(1), email: 'c@example.com' },
      { customer_id: customer, whatsapp: phone(9) },
      { name: 'No contact' },
      'not an object',
      { email: 'only-email@example.com' },
      { email: 'only-email@example.com' },
    ]);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.inserted).toBe(4);
    expect(body.duplicates.map((d: { index: number }) => d.index)).toEqual([2, 4]);
    expect(body.invalid.map((i: { index: number }) => i.index)).toEqual([1, 5, 6]);
    expect(body.invalid[0].errors[0]).toMatchObject({ loc: ['phone'], msg: expect.stringContaining('E.164') });

    const again = (
      await t.api('POST', `/campaigns/${id}/targets`, [{ phone: phone(1) }, { customer_id: customer, email: 'new@example.com' }, { phone: phone(2) }])
    ).json();
    expect(again.inserted).toBe(1);
    expect(again.duplicates).toEqual([
      { index: 0, reason: 'the campaign already has a target with this phone' },
      { index: 1, reason: 'the campaign already has a target with this customer' },
    ]);
  });

  it('lists the targets with pagination', async () => {
    const id = await createCampaign(t);
    await t.api(
      'POST',
      `/campaigns/${id}/targets`,
      Array.from({ length: 5 }, (_, i) => ({ phone: phone(100 + i), variables: { i } })),
    );
    const first = (await t.api('GET', `/campaigns/${id}/targets?limit=3`)).json();
    const second = (await t.api('GET', `/campaigns/${id}/targets?limit=3&cursor=${first.next_cursor}`)).json();
    expect([...first.items, ...second.items].map((target: { phone: string }) => target.phone)).toEqual([100, 101, 102, 103, 104].map(phone));
    expect(second.next_cursor).toBeNull();
    expect(first.items[0]).toMatchObject({ state: 'not_contacted', variables: { i: 0 } });
  });

  it('takes 10,000 targets in one request and refuses more', async () => {
    const id = await createCampaign(t);
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ phone: `+1202${String(i).padStart(7, '0')}`, name: `T${i}` }));
    const response = await t.api('POST', `/campaigns/${id}/targets`, rows);
    expect(response.statusCode).toBe(200);
    expect(response.json().inserted).toBe(10_000);
    const tooMany = await t.api('POST', `/campaigns/${id}/targets`, [...rows, { phone: phone(1) }]);
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().detail[0].loc).toEqual(['body']);
  });

  it('refuses targets for a running campaign with 409 and inserts nothing', async () => {
    const id = await createCampaign(t, { targets: ONE_TARGET });
    await t.api('POST', `/campaigns/${id}/start`);
    const response = await t.api('POST', `/campaigns/${id}/targets`, [{ phone: phone(5) }]);
    expect(response.statusCode).toBe(409);
    expect((await t.api('GET', `/campaigns/${id}/targets`)).json().items).toHaveLength(1);
  });

  it('refuses a body that is not an array', async () => {
    const id = await createCampaign(t);
    expect((await t.api('POST', `/campaigns/${id}/targets`, { phone: phone(1) })).statusCode).toBe(422);
  });
});
