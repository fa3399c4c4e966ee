import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

// Concurrent requests with one Idempotency-Key all get the first request's answer: a replay of
// a command that has not finished yet waits for it (bounded by COMMAND_WAIT_MS) as the first
// request does, instead of answering 202.

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ LIFECYCLE_CONCURRENCY: '4' });
});
afterAll(() => t?.close());

describe('one Idempotency-Key, many concurrent requests', () => {
  it('answers 20 identical concurrent starts with the first response', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const id = await createCampaign(t, { targets: ONE_TARGET });
      const key = { 'idempotency-key': `burst-${trial}-${id}` };
      const responses = await Promise.all(Array.from({ length: 20 }, () => t.api('POST', `/campaigns/${id}/start`, undefined, key)));
      expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
      const bodies = new Set(responses.map((response) => response.body));
      expect(bodies.size).toBe(1);
      expect(responses[0]!.json()).toMatchObject({ id, status: 'running' });
      expect(await t.prisma.command.count({ where: { campaignId: id } })).toBe(1);
      expect((await t.api('GET', `/campaigns/${id}/events`)).json().items).toHaveLength(1);
    }
  });

  it('answers concurrent starts of one key the same when the command is refused', async () => {
    const id = await createCampaign(t, { targets: ONE_TARGET });
    await t.api('POST', `/campaigns/${id}/complete`);
    const key = { 'idempotency-key': `refused-${id}` };
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.api('POST', `/campaigns/${id}/start`, undefined, key)));
    expect(new Set(responses.map((response) => `${response.statusCode} ${response.body}`)).size).toBe(1);
    expect(responses[0]!.statusCode).toBe(400);
  });
});

describe('a replay while the command is still running past COMMAND_WAIT_MS', () => {
  let slow: TestSystem;
  beforeAll(async () => {
    // No worker: the command stays queued, so every request answers 202 for the same command.
    slow = await startTestSystem({ COMMAND_WAIT_MS: '300' }, 'api');
  });
  afterAll(() => slow?.close());

  it('waits like the first request and then answers 202 with the same command', async () => {
    const created = await slow.api('POST', '/campaigns', { name: 'Queued', agent_id: '0b6f0d3e-8a41-4d4e-9a0e-3f1f6f1c2a10' });
    const id = created.json().id;
    await slow.api('POST', `/campaigns/${id}/targets`, [{ phone: '+14155550199' }]);
    const key = { 'idempotency-key': `slow-${id}` };
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 5 }, () => slow.api('POST', `/campaigns/${id}/start`, undefined, key)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(responses.map((response) => response.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(responses.map((response) => response.json().command_id)).size).toBe(1);
  });
});
