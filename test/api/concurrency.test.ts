import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideLifecycle, type CampaignStatus } from '../../src/domain/lifecycle.js';
import { createCampaign, ONE_TARGET } from '../support/campaigns.js';
import { startTestSystem, type TestSystem } from '../support/harness.js';

let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({ LIFECYCLE_CONCURRENCY: '8' });
});
afterAll(() => t?.close());

const COMMANDS = ['start', 'pause', 'complete'] as const;

describe('concurrent commands on one campaign', () => {
  it('serialise: the event log is a chain of allowed transitions ending in the final status', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const id = await createCampaign(t, { targets: ONE_TARGET });
      // Mostly start/pause, with a complete late in the burst so a long chain happens first.
      const burst = Array.from({ length: 40 }, (_, i) => (i === 30 + trial ? 'complete' : COMMANDS[i % 2]!));
      const responses = await Promise.all(burst.map((command) => t.api('POST', `/campaigns/${id}/${command}`)));
      const codes = responses.map((response) => response.statusCode);
      expect(
        responses.filter((response) => ![200, 400, 409].includes(response.statusCode)).map((response) => `${response.statusCode} ${response.body}`),
      ).toEqual([]);

      const events = (await t.api('GET', `/campaigns/${id}/events?limit=500`)).json().items as Array<{
        command: 'start' | 'pause' | 'complete';
        from: CampaignStatus;
        to: CampaignStatus;
      }>;
      // Every 200 wrote exactly one event; every refusal wrote none.
      expect(events).toHaveLength(codes.filter((code) => code === 200).length);
      let status: CampaignStatus = 'draft';
      for (const event of events) {
        expect(event.from).toBe(status);
        const decision = decideLifecycle(event.from, event.command);
        expect(decision.kind).not.toBe('rejected');
        expect(event.to).toBe(decision.kind === 'transition' ? decision.to : event.from);
        status = event.to;
      }
      expect((await t.api('GET', `/campaigns/${id}`)).json().status).toBe(status);
      expect(status).toBe('done');
    }
  });
});
