import { describe, expect, it } from 'vitest';
import { decideLifecycle, lifecycleEffect, type CampaignStatus, type LifecycleCommand } from '../../src/domain/lifecycle.js';

type Expected = CampaignStatus | 'unchanged' | 400 | 409;

// docs/product.md, "Lifecycle".
const TABLE: Record<CampaignStatus, Record<LifecycleCommand, Expected>> = {
  draft: { start: 'running', pause: 409, resume: 409, complete: 'done' },
  running: { start: 'unchanged', pause: 'paused', resume: 409, complete: 'done' },
  paused: { start: 'running', pause: 'unchanged', resume: 'running', complete: 'done' },
  done: { start: 400, pause: 409, resume: 'running', complete: 'unchanged' },
};

describe('lifecycleEffect', () => {
  it.each([
    ['start', 'draft', 'running', 'open_rounds'],
    ['start', 'paused', 'running', 'resume_pending'],
    ['resume', 'paused', 'running', 'open_segment_rounds'],
    ['resume', 'done', 'running', 'open_segment_rounds'],
    ['pause', 'running', 'paused', 'withdraw_promoted'],
    ['complete', 'running', 'done', 'cancel_pending'],
    ['complete', 'draft', 'done', 'cancel_pending'],
  ] as const)('%s from %s to %s → %s', (command, from, to, effect) => {
    expect(lifecycleEffect(command, from, to)).toBe(effect);
  });
});

describe('decideLifecycle', () => {
  for (const [from, row] of Object.entries(TABLE) as [CampaignStatus, Record<LifecycleCommand, Expected>][]) {
    for (const [command, expected] of Object.entries(row) as [LifecycleCommand, Expected][]) {
      it(`${command} on ${from} → ${expected}`, () => {
        const decision = decideLifecycle(from, command);
        if (expected === 'unchanged') expect(decision).toEqual({ kind: 'unchanged', status: from });
        else if (typeof expected === 'number') {
          expect(decision.kind).toBe('rejected');
          if (decision.kind === 'rejected') expect(decision.error.kind).toBe(expected === 400 ? 'bad_request' : 'conflict');
        } else expect(decision).toEqual({ kind: 'transition', from, to: expected });
      });
    }
  }
});
