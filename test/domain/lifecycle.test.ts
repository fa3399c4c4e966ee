import { describe, expect, it } from 'vitest';
import { decideLifecycle, type CampaignStatus, type LifecycleCommand } from '../../src/domain/lifecycle.js';

type Expected = CampaignStatus | 'unchanged' | 400 | 409;

// PRODUCT.md "Lifecycle" (resume comes with its own issue).
const TABLE: Record<CampaignStatus, Record<LifecycleCommand, Expected>> = {
  draft: { start: 'running', pause: 409, complete: 'done' },
  running: { start: 'unchanged', pause: 'paused', complete: 'done' },
  paused: { start: 'running', pause: 'unchanged', complete: 'done' },
  done: { start: 400, pause: 409, complete: 'unchanged' },
};

describe('decideLifecycle', () => {
  for (const [from, row] of Object.entries(TABLE) as [CampaignStatus, Record<LifecycleCommand, Expected>][]) {
    for (const [command, expected] of Object.entries(row) as [LifecycleCommand, Expected][]) {
      it(`${command} on ${from} → ${expected}`, () => {
        const decision = decideLifecycle(from, command);
        if (expected === 'unchanged') expect(decision).toEqual({ outcome: 'unchanged', status: from });
        else if (typeof expected === 'number') {
          expect(decision.outcome).toBe('rejected');
          if (decision.outcome === 'rejected') expect(decision.error.kind).toBe(expected === 400 ? 'bad_request' : 'conflict');
        } else expect(decision).toEqual({ outcome: 'transition', from, to: expected });
      });
    }
  }
});
