import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { campaignInput, createCampaign } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';
import { expectValidationError } from '../support/responses.js';

// The input limits come from the environment (src/config.ts) and reach the schemas through
// src/api/limits.ts when the server is built.

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem(
    {
      TEXT_MAX_CHARS: '10',
      VARIABLES_MAX_BYTES: '64',
      VARIABLES_MAX_DEPTH: '2',
      CALL_ATTEMPT_DELAYS_MAX: '2',
      CALL_ATTEMPT_DELAY_MAX_MINUTES: '60',
      GOAL_OBJECTIVES_MAX: '1',
    },
    'api',
  );
});
afterAll(() => t?.close());

describe('configured input limits', () => {
  it('apply to campaign settings', async () => {
    expectValidationError(await t.api('POST', '/campaigns', campaignInput({ goal: 'g'.repeat(11) })), ['body', 'goal'], 'string_too_long');
    expectValidationError(await t.api('POST', '/campaigns', campaignInput({ call_attempt_delays: [1, 2, 3] })), ['body', 'call_attempt_delays'], 'too_long');
    expectValidationError(await t.api('POST', '/campaigns', campaignInput({ call_attempt_delays: [61] })), ['body', 'call_attempt_delays', 0]);
    expectValidationError(
      await t.api('POST', '/campaigns', campaignInput({ goal_spec: { objectives: [{}, {}] } })),
      ['body', 'goal_spec', 'objectives'],
      'too_long',
    );
    const within = await t.api('POST', '/campaigns', campaignInput({ goal: 'g'.repeat(10), call_attempt_delays: [60, 0], goal_spec: { objectives: [{}] } }));
    expect(within.statusCode).toBe(201);
  });

  it('apply to target variables', async () => {
    const id = await createCampaign(t);
    const response = await t.api('POST', `/campaigns/${id}/targets`, [
      { phone: '+14155550100', variables: { a: { b: 1 } } },
      { phone: '+14155550101', variables: { a: { b: { c: 1 } } } },
      { phone: '+14155550102', variables: { blob: 'x'.repeat(60) } },
    ]);
    expect(response.json().inserted).toBe(1);
    expect(response.json().invalid.map((row: { index: number; errors: Array<{ type: string }> }) => [row.index, row.errors[0]!.type])).toEqual([
      [1, 'too_deep'],
      [2, 'too_large'],
    ]);
  });

  it('never make a response fail for a row stored before a limit was lowered', async () => {
    const id = await createCampaign(t);
    await t.prisma.campaign.update({ where: { id }, data: { goal: 'a goal longer than ten characters', callAttemptDelays: [1, 2, 3, 500] } });
    const response = await t.api('GET', `/campaigns/${id}`);
    expect(response.statusCode).toBe(200);
    expect(response.json().goal).toBe('a goal longer than ten characters');
  });
});

describe('limit variables', () => {
  it('have documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      TEXT_MAX_CHARS: 2_000,
      SUMMARY_MAX_CHARS: 10_000,
      VARIABLES_MAX_BYTES: 8_192,
      VARIABLES_MAX_DEPTH: 32,
      CALL_ATTEMPT_DELAYS_MAX: 20,
      CALL_ATTEMPT_DELAY_MAX_MINUTES: 43_200,
      GOAL_OBJECTIVES_MAX: 20,
      TARGETS_BODY_MAX_BYTES: 64 * 1_048_576,
      RATE_LIMIT_MAX: 50_000,
      RATE_LIMIT_WINDOW_MS: 10_000,
    });
  });

  it.each([
    [{ TEXT_MAX_CHARS: '0' }, 'TEXT_MAX_CHARS'],
    [{ VARIABLES_MAX_DEPTH: 'deep' }, 'VARIABLES_MAX_DEPTH'],
    [{ SUMMARY_MAX_CHARS: '20000' }, 'SUMMARY_MAX_CHARS'],
    [{ RATE_LIMIT_MAX: '-1' }, 'RATE_LIMIT_MAX'],
    [{ RATE_LIMIT_WINDOW_MS: '10' }, 'RATE_LIMIT_WINDOW_MS'],
  ])('name the bad variable in %o', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});
