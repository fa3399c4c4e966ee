import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMinutesThenWindow, isInsideWindow } from '../../src/domain/call-window.js';
import type { CallWindow } from '../../src/domain/working-hours.js';
import {
  attemptsPerRound,
  callOutcomes,
  retriedOutcomes,
  decideOpening,
  nextStepAfterCall,
  type CallInRound,
  type CallOutcome,
  type NextStep,
  type OpeningFacts,
  type RoundOpening,
  type RetriedOutcome,
  type RetryRule,
  type RoundPolicy,
} from '../../src/domain/rounds.js';

// docs/product.md, "Contact rounds".

const policy = (overrides: Partial<RoundPolicy> = {}): RoundPolicy => ({
  firstContactChannel: 'call',
  callAttemptDelays: [5, 30, 120],
  whatsappAfterAttempts: 2,
  hasWhatsappChannel: true,
  ...overrides,
});

const call = (roundAttempt: number, outcome: CallOutcome, overrides: Partial<CallInRound> = {}): CallInRound => ({
  roundAttempt,
  outcome,
  earlierOutcomes: [],
  openedWithWhatsapp: false,
  hasWhatsapp: true,
  ...overrides,
});

const unanswered = ['no_answer', 'busy', 'voicemail'] as const satisfies readonly CallOutcome[];

describe('attemptsPerRound', () => {
  it.each<[number[], number]>([
    [[], 1],
    [[0], 2],
    [[10], 2],
    [[5, 30], 3],
    [[5, 30, 120], 4],
    [[1, 1, 1, 1, 1], 6],
  ])('delays %j → %i attempts', (callAttemptDelays, expected) => {
    expect(attemptsPerRound(policy({ callAttemptDelays }))).toBe(expected);
  });

  it('does not depend on the WhatsApp settings', () => {
    expect(attemptsPerRound(policy({ callAttemptDelays: [1, 2], whatsappAfterAttempts: 1, hasWhatsappChannel: true }))).toBe(3);
    expect(attemptsPerRound(policy({ callAttemptDelays: [1, 2], whatsappAfterAttempts: 8, hasWhatsappChannel: false }))).toBe(3);
  });
});

describe('nextStepAfterCall: unanswered calls without WhatsApp fallback', () => {
  const noFallback = policy({ hasWhatsappChannel: false });

  // [delays, attempt that ended unanswered, expected next step]
  const cases: Array<[number[], number, NextStep]> = [
    [[5, 30, 120], 1, { kind: 'call', roundAttempt: 2, delayMinutes: 5 }],
    [[5, 30, 120], 2, { kind: 'call', roundAttempt: 3, delayMinutes: 30 }],
    [[5, 30, 120], 3, { kind: 'call', roundAttempt: 4, delayMinutes: 120 }],
    [[5, 30, 120], 4, { kind: 'end', reason: 'exhausted' }],
    [[], 1, { kind: 'end', reason: 'exhausted' }],
    [[0], 1, { kind: 'call', roundAttempt: 2, delayMinutes: 0 }],
    [[0], 2, { kind: 'end', reason: 'exhausted' }],
    [[600, 1], 1, { kind: 'call', roundAttempt: 2, delayMinutes: 600 }],
    [[600, 1], 2, { kind: 'call', roundAttempt: 3, delayMinutes: 1 }],
    [[600, 1], 3, { kind: 'end', reason: 'exhausted' }],
  ];
  for (const outcome of unanswered) {
    it.each(cases)(`${outcome}: delays %j, attempt %i → %j`, (callAttemptDelays, roundAttempt, expected) => {
      expect(nextStepAfterCall({ ...noFallback, callAttemptDelays }, call(roundAttempt, outcome))).toEqual(expected);
    });
  }
});

describe('nextStepAfterCall: outcomes that end the round', () => {
  const ends: Array<[CallOutcome, NextStep]> = [
    ['answered', { kind: 'end', reason: 'reached' }],
    ['failed', { kind: 'end', reason: 'failed' }],
    // Never redialed, even with attempts left.
    ['unknown', { kind: 'end', reason: 'unknown' }],
  ];
  const policies: Array<[string, RoundPolicy]> = [
    ['no WhatsApp channel', policy({ hasWhatsappChannel: false })],
    ['fallback after 1', policy({ whatsappAfterAttempts: 1 })],
    ['fallback after 2', policy({ whatsappAfterAttempts: 2 })],
    ['fallback after more than the attempts', policy({ whatsappAfterAttempts: 8 })],
    ['single-attempt round', policy({ callAttemptDelays: [] })],
  ];
  for (const [outcome, expected] of ends) {
    for (const [name, p] of policies) {
      it(`${outcome} ends the round (${name}) at every attempt, also where a fallback or the last attempt would be`, () => {
        for (let attempt = 1; attempt <= attemptsPerRound(p); attempt++) {
          for (const opened of [false, true]) {
            for (const hasWhatsapp of [false, true]) {
              expect(nextStepAfterCall(p, call(attempt, outcome, { openedWithWhatsapp: opened, hasWhatsapp }))).toEqual(expected);
            }
          }
        }
      });
    }
  }

  it('covers every call outcome the dialer can report', () => {
    expect([...callOutcomes].sort()).toEqual(['answered', 'busy', 'failed', 'no_answer', 'unknown', 'voicemail']);
  });
});

describe('nextStepAfterCall: WhatsApp fallback', () => {
  const fallback: NextStep = { kind: 'whatsapp_fallback' };
  const exhausted: NextStep = { kind: 'end', reason: 'exhausted' };
  const next = (roundAttempt: number, delayMinutes: number): NextStep => ({ kind: 'call', roundAttempt, delayMinutes });

  interface Case {
    name: string;
    policy: Partial<RoundPolicy>;
    call?: Partial<CallInRound>;
    /** Expected step after each unanswered attempt 1, 2, …, attempts. */
    steps: NextStep[];
  }
  const cases: Case[] = [
    { name: 'after 1 attempt', policy: { whatsappAfterAttempts: 1 }, steps: [fallback] },
    { name: 'after 2 attempts', policy: { whatsappAfterAttempts: 2 }, steps: [next(2, 5), fallback] },
    { name: 'after 3 attempts', policy: { whatsappAfterAttempts: 3 }, steps: [next(2, 5), next(3, 30), fallback] },
    {
      name: 'after exactly all attempts: fallback instead of exhaustion',
      policy: { whatsappAfterAttempts: 4 },
      steps: [next(2, 5), next(3, 30), next(4, 120), fallback],
    },
    {
      name: 'whatsapp_after_attempts larger than the round: fallback after the last attempt',
      policy: { whatsappAfterAttempts: 8 },
      steps: [next(2, 5), next(3, 30), next(4, 120), fallback],
    },
    {
      name: 'single-attempt round, whatsapp_after_attempts 3',
      policy: { callAttemptDelays: [], whatsappAfterAttempts: 3 },
      steps: [fallback],
    },
    {
      name: 'two-attempt round, whatsapp_after_attempts 5',
      policy: { callAttemptDelays: [45], whatsappAfterAttempts: 5 },
      steps: [next(2, 45), fallback],
    },
    {
      name: 'no WhatsApp channel: calls until exhausted',
      policy: { whatsappAfterAttempts: 2, hasWhatsappChannel: false },
      steps: [next(2, 5), next(3, 30), next(4, 120), exhausted],
    },
    {
      name: 'no WhatsApp number: calls until exhausted',
      policy: { whatsappAfterAttempts: 2 },
      call: { hasWhatsapp: false },
      steps: [next(2, 5), next(3, 30), next(4, 120), exhausted],
    },
    {
      name: 'round opened with WhatsApp: no fallback, calls until exhausted',
      policy: { whatsappAfterAttempts: 2, firstContactChannel: 'whatsapp' },
      call: { openedWithWhatsapp: true },
      steps: [next(2, 5), next(3, 30), next(4, 120), exhausted],
    },
    {
      name: 'round opened with WhatsApp, whatsapp_after_attempts 1: no fallback',
      policy: { whatsappAfterAttempts: 1, firstContactChannel: 'whatsapp' },
      call: { openedWithWhatsapp: true },
      steps: [next(2, 5), next(3, 30), next(4, 120), exhausted],
    },
    {
      name: 'first_contact_channel whatsapp that could not open with WhatsApp still falls back',
      policy: { whatsappAfterAttempts: 2, firstContactChannel: 'whatsapp' },
      call: { openedWithWhatsapp: false },
      steps: [next(2, 5), fallback],
    },
  ];

  for (const c of cases) {
    for (const outcome of unanswered) {
      it(`${c.name} (${outcome})`, () => {
        const p = policy(c.policy);
        // The walk stops at the first step that is not another call.
        c.steps.forEach((expected, index) => {
          expect(nextStepAfterCall(p, call(index + 1, outcome, c.call))).toEqual(expected);
        });
      });
    }
  }
});

describe('decideOpening', () => {
  type Facts = Pick<OpeningFacts, 'hasPhone' | 'hasWhatsapp'>;
  const callOnly: RoundOpening = { kind: 'open', call: true, message: null, countsAs: 'scheduled_calls' };
  const messageThenCall: RoundOpening = { kind: 'open', call: true, message: { endsRound: false }, countsAs: 'queued_whatsapp' };
  const messageOnly: RoundOpening = { kind: 'open', call: false, message: { endsRound: true }, countsAs: 'queued_whatsapp' };
  const missing: RoundOpening = { kind: 'skip', reason: 'missing_contact' };

  // Every contact combination of a target that has no pending work and is not listed.
  type Row = [first: RoundPolicy['firstContactChannel'], channel: boolean, facts: Facts, expected: RoundOpening];
  const both = { hasPhone: true, hasWhatsapp: true };
  const phone = { hasPhone: true, hasWhatsapp: false };
  const whatsapp = { hasPhone: false, hasWhatsapp: true };
  const neither = { hasPhone: false, hasWhatsapp: false };
  const rows: Row[] = [
    // A phone number: the round opens with a call.
    ['call', true, both, callOnly],
    ['call', true, phone, callOnly],
    ['call', false, both, callOnly],
    ['call', false, phone, callOnly],
    // first_contact_channel whatsapp, a channel and a number: the message first, then the calls.
    ['whatsapp', true, both, messageThenCall],
    // … without the channel or the number it opens with a call.
    ['whatsapp', true, phone, callOnly],
    ['whatsapp', false, both, callOnly],
    ['whatsapp', false, phone, callOnly],
    // No phone: a WhatsApp message alone, which ends the round, when a channel and a number exist.
    ['call', true, whatsapp, messageOnly],
    ['whatsapp', true, whatsapp, messageOnly],
    // Nothing usable for any channel of the round: no round.
    ['call', false, whatsapp, missing],
    ['whatsapp', false, whatsapp, missing],
    ['call', true, neither, missing],
    ['whatsapp', true, neither, missing],
    ['call', false, neither, missing],
    ['whatsapp', false, neither, missing],
  ];

  it.each(rows)('first %s, channel %s, contacts %j → %j', (firstContactChannel, hasWhatsappChannel, facts, expected) => {
    const p = policy({ firstContactChannel, hasWhatsappChannel });
    expect(decideOpening(p, { ...facts, hasPending: false, doNotContact: false })).toEqual(expected);
  });

  it.each(rows)('first %s, channel %s, contacts %j: pending work skips it, before the list is consulted', (firstContactChannel, hasWhatsappChannel, facts) => {
    const p = policy({ firstContactChannel, hasWhatsappChannel });
    for (const doNotContact of [false, true]) {
      expect(decideOpening(p, { ...facts, hasPending: true, doNotContact })).toEqual({ kind: 'skip', reason: 'existing_pending' });
    }
  });

  it.each(rows)('first %s, channel %s, contacts %j: a listed target gets no round, whatever its contacts', (firstContactChannel, hasWhatsappChannel, facts) => {
    const p = policy({ firstContactChannel, hasWhatsappChannel });
    expect(decideOpening(p, { ...facts, hasPending: false, doNotContact: true })).toEqual({ kind: 'skip', reason: 'do_not_contact' });
  });

  it('does not depend on delays or whatsapp_after_attempts', () => {
    const facts = { hasPending: false, hasPhone: true, hasWhatsapp: true, doNotContact: false };
    for (const callAttemptDelays of [[], [1, 2, 3]]) {
      for (const whatsappAfterAttempts of [1, 8]) {
        expect(decideOpening(policy({ firstContactChannel: 'whatsapp', callAttemptDelays, whatsappAfterAttempts }), facts)).toEqual(messageThenCall);
      }
    }
  });

  it('a round opened with WhatsApp sends no fallback in it; one that opened with a call does', () => {
    const p = policy({ whatsappAfterAttempts: 1 });
    for (const first of ['call', 'whatsapp'] as const) {
      const q = { ...p, firstContactChannel: first };
      const opening = decideOpening(q, { hasPending: false, hasPhone: true, hasWhatsapp: true, doNotContact: false });
      expect(opening.kind === 'open' && opening.call).toBe(true);
      const openedWithWhatsapp = opening.kind === 'open' && opening.message !== null;
      expect(openedWithWhatsapp).toBe(first === 'whatsapp');
      const step = nextStepAfterCall(q, call(1, 'no_answer', { openedWithWhatsapp, hasWhatsapp: true }));
      expect(step).toEqual(first === 'whatsapp' ? { kind: 'call', roundAttempt: 2, delayMinutes: 5 } : { kind: 'whatsapp_fallback' });
    }
  });

  it('counts each selected target exactly once, as the resume result must', () => {
    // selected_targets = scheduled_calls + queued_whatsapp + skipped_existing_pending + skipped_missing_contact
    // (+ skipped_do_not_contact): every opening falls in exactly one of them.
    fc.assert(
      fc.property(
        fc.array(fc.record({ hasPending: fc.boolean(), hasPhone: fc.boolean(), hasWhatsapp: fc.boolean(), doNotContact: fc.boolean() })),
        fc.constantFrom('call' as const, 'whatsapp' as const),
        fc.boolean(),
        (targets, firstContactChannel, hasWhatsappChannel) => {
          const openings = targets.map((facts) => decideOpening(policy({ firstContactChannel, hasWhatsappChannel }), facts));
          const count = (predicate: (o: RoundOpening) => boolean) => openings.filter(predicate).length;
          const scheduledCalls = count((o) => o.kind === 'open' && o.countsAs === 'scheduled_calls');
          const queuedWhatsapp = count((o) => o.kind === 'open' && o.countsAs === 'queued_whatsapp');
          const skipped = (reason: string) => count((o) => o.kind === 'skip' && o.reason === reason);
          expect(scheduledCalls + queuedWhatsapp + skipped('existing_pending') + skipped('missing_contact') + skipped('do_not_contact')).toBe(targets.length);
          // As the SQL counts them: rounds with a first message are queued_whatsapp, the other opened ones scheduled_calls.
          expect(queuedWhatsapp).toBe(count((o) => o.kind === 'open' && o.message !== null));
          expect(scheduledCalls).toBe(count((o) => o.kind === 'open') - queuedWhatsapp);
        },
      ),
    );
  });

  it('property: an open round contacts someone, a message ends it only alone, a call needs a phone', () => {
    fc.assert(
      fc.property(
        fc.record({
          firstContactChannel: fc.constantFrom('call' as const, 'whatsapp' as const),
          callAttemptDelays: fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 5 }),
          whatsappAfterAttempts: fc.integer({ min: 1, max: 8 }),
          hasWhatsappChannel: fc.boolean(),
        }),
        fc.record({ hasPending: fc.boolean(), hasPhone: fc.boolean(), hasWhatsapp: fc.boolean(), doNotContact: fc.boolean() }),
        (p, facts) => {
          const opening = decideOpening(p, facts);
          if (opening.kind === 'skip') {
            const canMessage = p.hasWhatsappChannel && facts.hasWhatsapp;
            if (opening.reason === 'missing_contact') expect(facts.hasPhone || canMessage).toBe(false);
            return;
          }
          expect(facts.hasPending || facts.doNotContact).toBe(false);
          expect(opening.call).toBe(facts.hasPhone);
          expect(opening.call || opening.message !== null).toBe(true);
          if (opening.message !== null) {
            expect(p.hasWhatsappChannel && facts.hasWhatsapp).toBe(true);
            expect(opening.message.endsRound).toBe(!opening.call);
          }
        },
      ),
    );
  });
});

describe('nextStepAfterCall: property over any policy and unanswered sequence', () => {
  const arbitraryPolicy = fc.record({
    firstContactChannel: fc.constantFrom('call' as const, 'whatsapp' as const),
    callAttemptDelays: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 0, maxLength: 5 }),
    whatsappAfterAttempts: fc.integer({ min: 1, max: 8 }),
    hasWhatsappChannel: fc.boolean(),
  });
  // Longer than any round (at most 6 attempts), so the walk can never run out of outcomes.
  const arbitraryOutcomes = fc.array(fc.constantFrom(...unanswered), { minLength: 8, maxLength: 8 });

  it('walks at most len(delays) + 1 calls, one attempt at a time, to exhaustion or the fallback', () => {
    fc.assert(
      fc.property(arbitraryPolicy, arbitraryOutcomes, fc.boolean(), fc.boolean(), (p, outcomes, hasWhatsapp, openedWithWhatsapp) => {
        const attempts = p.callAttemptDelays.length + 1;
        const fallbackAllowed = p.hasWhatsappChannel && hasWhatsapp && !openedWithWhatsapp;

        let attempt = 1;
        let calls = 1;
        let last: NextStep | undefined;
        for (const outcome of outcomes) {
          const step = nextStepAfterCall(p, { roundAttempt: attempt, outcome, earlierOutcomes: [], hasWhatsapp, openedWithWhatsapp });
          if (step.kind !== 'call') {
            last = step;
            break;
          }
          expect(step.roundAttempt).toBe(attempt + 1);
          expect(step.delayMinutes).toBe(p.callAttemptDelays[attempt - 1]);
          attempt = step.roundAttempt;
          calls++;
          expect(calls).toBeLessThanOrEqual(attempts);
        }

        expect(last).toBeDefined();
        if (fallbackAllowed) {
          expect(last).toEqual({ kind: 'whatsapp_fallback' });
          expect(attempt).toBe(Math.min(p.whatsappAfterAttempts, attempts));
        } else {
          expect(last).toEqual({ kind: 'end', reason: 'exhausted' });
          expect(attempt).toBe(attempts);
        }
        expect(calls).toBe(attempt);
      }),
    );
  });

  it('an answered, failed or unknown outcome at any point ends the walk without another call', () => {
    fc.assert(
      fc.property(
        arbitraryPolicy,
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('answered' as const, 'failed' as const, 'unknown' as const),
        fc.boolean(),
        fc.boolean(),
        (p, rawAttempt, outcome, hasWhatsapp, openedWithWhatsapp) => {
          const roundAttempt = Math.min(rawAttempt, p.callAttemptDelays.length + 1);
          const step = nextStepAfterCall(p, { roundAttempt, outcome, earlierOutcomes: [], hasWhatsapp, openedWithWhatsapp });
          expect(step).toEqual({ kind: 'end', reason: outcome === 'answered' ? 'reached' : outcome });
        },
      ),
    );
  });
});

describe('nextStepAfterCall: retry rules per outcome (call_retry_policy)', () => {
  const noFallback = policy({ hasWhatsappChannel: false, callAttemptDelays: [60, 60, 60] });
  const busyRule = { ...noFallback, callRetryPolicy: { busy: { delayMinutes: 2, maxRetries: 2 } } };

  // [policy, the call that ended, expected next step]
  const cases: Array<[string, RoundPolicy, CallInRound, NextStep]> = [
    ['a busy line is retried on its own delay', busyRule, call(1, 'busy'), { kind: 'call', roundAttempt: 2, delayMinutes: 2 }],
    ['retried a second time', busyRule, call(2, 'busy', { earlierOutcomes: ['busy'] }), { kind: 'call', roundAttempt: 3, delayMinutes: 2 }],
    ['not a third time: the round ends', busyRule, call(3, 'busy', { earlierOutcomes: ['busy', 'busy'] }), { kind: 'end', reason: 'exhausted' }],
    ['an outcome without a rule keeps the campaign delays', busyRule, call(1, 'no_answer'), { kind: 'call', roundAttempt: 2, delayMinutes: 60 }],
    [
      'the cap counts its own outcome only',
      busyRule,
      call(3, 'busy', { earlierOutcomes: ['no_answer', 'busy'] }),
      { kind: 'call', roundAttempt: 4, delayMinutes: 2 },
    ],
    [
      'the budget of the round wins over the rule',
      { ...noFallback, callAttemptDelays: [60], callRetryPolicy: { busy: { delayMinutes: 0, maxRetries: 5 } } },
      call(2, 'busy', { earlierOutcomes: ['busy'] }),
      { kind: 'end', reason: 'exhausted' },
    ],
    ['failed without a rule ends the round', busyRule, call(1, 'failed'), { kind: 'end', reason: 'failed' }],
    [
      'failed with a rule is retried',
      { ...noFallback, callRetryPolicy: { failed: { delayMinutes: 10, maxRetries: 1 } } },
      call(1, 'failed'),
      { kind: 'call', roundAttempt: 2, delayMinutes: 10 },
    ],
    [
      'failed past its cap ends the round as failed',
      { ...noFallback, callRetryPolicy: { failed: { delayMinutes: 10, maxRetries: 1 } } },
      call(2, 'failed', { earlierOutcomes: ['failed'] }),
      { kind: 'end', reason: 'failed' },
    ],
    [
      'max_retries 0 never retries that outcome',
      { ...noFallback, callRetryPolicy: { voicemail: { delayMinutes: 0, maxRetries: 0 } } },
      call(1, 'voicemail'),
      { kind: 'end', reason: 'exhausted' },
    ],
    [
      'a rule that stops the calls gives way to the WhatsApp fallback',
      policy({ whatsappAfterAttempts: 4, callRetryPolicy: { busy: { delayMinutes: 2, maxRetries: 1 } } }),
      call(2, 'busy', { earlierOutcomes: ['busy'] }),
      { kind: 'whatsapp_fallback' },
    ],
    [
      'the fallback still comes after whatsapp_after_attempts',
      policy({ whatsappAfterAttempts: 2, callRetryPolicy: { busy: { delayMinutes: 2, maxRetries: 3 } } }),
      call(2, 'busy', { earlierOutcomes: ['busy'] }),
      { kind: 'whatsapp_fallback' },
    ],
    [
      'answered and unknown ignore the rules',
      { ...noFallback, callRetryPolicy: { no_answer: { delayMinutes: 0, maxRetries: 3 } } },
      call(1, 'unknown'),
      { kind: 'end', reason: 'unknown' },
    ],
  ];
  it.each(cases)('%s', (_, p, ended, expected) => {
    expect(nextStepAfterCall(p, ended)).toEqual(expected);
  });

  const arbitraryRule = fc.record({ delayMinutes: fc.integer({ min: 0, max: 600 }), maxRetries: fc.integer({ min: 0, max: 6 }) });
  const arbitraryRules = fc.dictionary(fc.constantFrom(...retriedOutcomes), arbitraryRule) as fc.Arbitrary<Partial<Record<RetriedOutcome, RetryRule>>>;
  const arbitraryPolicy = fc.record({
    firstContactChannel: fc.constantFrom('call' as const, 'whatsapp' as const),
    callAttemptDelays: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 0, maxLength: 5 }),
    whatsappAfterAttempts: fc.integer({ min: 1, max: 8 }),
    hasWhatsappChannel: fc.boolean(),
    callRetryPolicy: arbitraryRules,
  });
  const retried = fc.constantFrom(...retriedOutcomes);
  // Weekdays 9:00–17:00, Paris: the retries must land inside it whatever their delay.
  const window: CallWindow = { start: '09:00', end: '17:00', weekdays: [1, 2, 3, 4, 5], blackoutDates: [] };

  it('never calls more than the budget, never retries an outcome past its cap, and every retry is due inside the window', () => {
    fc.assert(
      fc.property(
        arbitraryPolicy,
        fc.array(retried, { minLength: 8, maxLength: 8 }),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }),
        (p, outcomes, endedAt) => {
          const attempts = p.callAttemptDelays.length + 1;
          const earlier: CallOutcome[] = [];
          let attempt = 1;
          for (const outcome of outcomes) {
            const step = nextStepAfterCall(p, { roundAttempt: attempt, outcome, earlierOutcomes: earlier, hasWhatsapp: false, openedWithWhatsapp: false });
            const rule = p.callRetryPolicy[outcome];
            if (step.kind !== 'call') break;
            expect(step.roundAttempt).toBe(attempt + 1);
            expect(step.roundAttempt).toBeLessThanOrEqual(attempts);
            expect(step.delayMinutes).toBe(rule ? rule.delayMinutes : p.callAttemptDelays[attempt - 1]);
            if (rule) expect(earlier.filter((before) => before === outcome).length).toBeLessThan(rule.maxRetries);
            expect(outcome === 'failed' && !rule).toBe(false);
            expect(isInsideWindow(addMinutesThenWindow(endedAt, step.delayMinutes, window, 'Europe/Paris'), window, 'Europe/Paris')).toBe(true);
            earlier.push(outcome);
            attempt = step.roundAttempt;
          }
          expect(attempt).toBeLessThanOrEqual(attempts);
        },
      ),
    );
  });
});

describe('nextStepAfterCall: the campaign ends before the next call (ends_at)', () => {
  const cases: Array<[string, RoundPolicy, CallInRound, NextStep]> = [
    [
      'the round ends instead of calling again',
      policy({ hasWhatsappChannel: false }),
      call(1, 'no_answer', { endsBeforeNextCall: true }),
      { kind: 'end', reason: 'exhausted' },
    ],
    [
      'a failed call with a rule ends the round as failed',
      policy({ hasWhatsappChannel: false, callRetryPolicy: { failed: { delayMinutes: 0, maxRetries: 3 } } }),
      call(1, 'failed', { endsBeforeNextCall: true }),
      { kind: 'end', reason: 'failed' },
    ],
    [
      'the WhatsApp fallback still comes, as when the calls stop sooner',
      policy(),
      call(1, 'busy', { endsBeforeNextCall: true }),
      { kind: 'whatsapp_fallback' },
    ],
    ['an answered call is reached as always', policy(), call(1, 'answered', { endsBeforeNextCall: true }), { kind: 'end', reason: 'reached' }],
  ];
  it.each(cases)('%s', (_, roundPolicy, ended, expected) => {
    expect(nextStepAfterCall(roundPolicy, ended)).toEqual(expected);
  });
});
