import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveTargetState, type TargetHistory, type TargetState } from '../../src/domain/target-state.js';

// docs/product.md, "Resume segments": every target is in exactly one state.

const history = (overrides: Partial<TargetHistory> = {}): TargetHistory => ({
  answeredCalls: 0,
  repliedMessages: 0,
  sentEmails: 0,
  aiEvaluations: [],
  attempted: false,
  lastAttemptFailed: false,
  doNotContact: false,
  ...overrides,
});

describe('deriveTargetState: each state', () => {
  const cases: Array<[TargetState, string, Partial<TargetHistory>, boolean]> = [
    ['not_contacted', 'no attempt ever', {}, false],
    ['not_contacted', 'no attempt ever, emails only', { sentEmails: 3 }, false],
    ['not_answered', 'attempted, never reached, last attempt not failed', { attempted: true }, false],
    ['failed', 'attempted, never reached, last attempt failed', { attempted: true, lastAttemptFailed: true }, false],
    ['unresolved', 'answered call, goal not met', { attempted: true, answeredCalls: 1 }, false],
    ['unresolved', 'WhatsApp reply, goal not met', { attempted: true, repliedMessages: 1 }, false],
    ['goal_met', 'goal met', { attempted: true, answeredCalls: 1 }, true],
  ];
  it.each(cases)('%s: %s', (expected, _name, overrides, goalMet) => {
    expect(deriveTargetState(history(overrides), goalMet)).toBe(expected);
  });
});

describe('deriveTargetState: precedence', () => {
  it('goal met beats every other state', () => {
    expect(deriveTargetState(history(), true)).toBe('goal_met');
    expect(deriveTargetState(history({ attempted: true }), true)).toBe('goal_met');
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: true }), true)).toBe('goal_met');
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: true, answeredCalls: 2 }), true)).toBe('goal_met');
    // Goal met by an email objective without any call or message.
    expect(deriveTargetState(history({ sentEmails: 1 }), true)).toBe('goal_met');
  });

  it('reached beats failed: a reached target whose last attempt failed is unresolved', () => {
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: true, answeredCalls: 1 }), false)).toBe('unresolved');
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: true, repliedMessages: 1 }), false)).toBe('unresolved');
  });

  it('reached beats not_answered', () => {
    expect(deriveTargetState(history({ attempted: true, answeredCalls: 1 }), false)).not.toBe('not_answered');
  });

  it('failed beats not_answered only through the last attempt', () => {
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: true }), false)).toBe('failed');
    expect(deriveTargetState(history({ attempted: true, lastAttemptFailed: false }), false)).toBe('not_answered');
  });

  it('AI evaluations and emails do not by themselves make a target reached', () => {
    const evaluated = history({ attempted: true, sentEmails: 2, aiEvaluations: [{ label: 'positive', score: 1 }] });
    expect(deriveTargetState(evaluated, false)).toBe('not_answered');
  });

  it('the goal flag is taken as given, not recomputed', () => {
    // Reached with no objectives would meet the goal, but the caller decides.
    expect(deriveTargetState(history({ attempted: true, answeredCalls: 1 }), false)).toBe('unresolved');
  });

  it('a listed target is do_not_contact unless its goal is met', () => {
    expect(deriveTargetState(history({ doNotContact: true }), false)).toBe('do_not_contact');
    expect(deriveTargetState(history({ doNotContact: true, attempted: true, answeredCalls: 1 }), false)).toBe('do_not_contact');
    expect(deriveTargetState(history({ doNotContact: true, attempted: true, lastAttemptFailed: true }), false)).toBe('do_not_contact');
    expect(deriveTargetState(history({ doNotContact: true, attempted: true, answeredCalls: 1 }), true)).toBe('goal_met');
  });

  // Invariants over any consistent history (not a second copy of the rules): more contact never
  // moves a target back to "not contacted", and a reply or answer always leaves the "unreached" states.
  const consistentHistory = fc
    .record({ answered: fc.nat(3), replied: fc.nat(3), sentEmails: fc.nat(3), attempted: fc.boolean(), failedLast: fc.boolean(), listed: fc.boolean() })
    .map(({ answered, replied, sentEmails, attempted, failedLast, listed }) =>
      history({
        answeredCalls: attempted ? answered : 0,
        repliedMessages: attempted ? replied : 0,
        sentEmails,
        attempted,
        lastAttemptFailed: attempted && failedLast,
        doNotContact: listed,
      }),
    );

  it('property: a reached target is never in a segment for unreached targets', () => {
    fc.assert(
      fc.property(consistentHistory, fc.boolean(), (h, goalMet) => {
        if (h.answeredCalls + h.repliedMessages === 0) return;
        expect(['not_contacted', 'not_answered', 'failed']).not.toContain(deriveTargetState(h, goalMet));
      }),
    );
  });

  it('property: not_contacted only without any attempt, failed only when the last attempt failed', () => {
    fc.assert(
      fc.property(consistentHistory, fc.boolean(), (h, goalMet) => {
        const state = deriveTargetState(h, goalMet);
        if (state === 'not_contacted') expect(h.attempted).toBe(false);
        if (state === 'failed') expect(h.lastAttemptFailed).toBe(true);
        if (state === 'do_not_contact') expect(h.doNotContact && !goalMet).toBe(true);
      }),
    );
  });
});
