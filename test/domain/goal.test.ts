import { describe, expect, it } from 'vitest';
import { isGoalMet, isReached, type ContactHistory, type GoalSpec, type Objective } from '../../src/domain/goal.js';

// docs/product.md, "Goal".

const history = (overrides: Partial<ContactHistory> = {}): ContactHistory => ({
  answeredCalls: 0,
  repliedMessages: 0,
  sentEmails: 0,
  aiEvaluations: [],
  ...overrides,
});

const only = (objective: Objective): GoalSpec => ({ objectives: [objective] });

describe('isReached', () => {
  it.each([
    [0, 0, false],
    [1, 0, true],
    [0, 1, true],
    [3, 2, true],
  ])('answered calls %i, replied messages %i → %s', (answeredCalls, repliedMessages, expected) => {
    expect(isReached({ answeredCalls, repliedMessages })).toBe(expected);
  });

  it('ignores emails and AI evaluations', () => {
    expect(isReached(history({ sentEmails: 5, aiEvaluations: [{ label: 'positive', score: 1 }] }))).toBe(false);
  });
});

describe('isGoalMet: contact objective', () => {
  type Channels = Array<'call' | 'whatsapp'> | undefined;
  // [channels, answered calls, replied messages, min_count, expected]
  const cases: Array<[string, Channels, number, number, number, boolean]> = [
    ['call only counts answered calls', ['call'], 1, 0, 1, true],
    ['call only ignores replies', ['call'], 0, 5, 1, false],
    ['call only: below min_count', ['call'], 1, 0, 2, false],
    ['call only: exactly min_count', ['call'], 2, 9, 2, true],
    ['whatsapp only counts replies', ['whatsapp'], 0, 1, 1, true],
    ['whatsapp only ignores answered calls', ['whatsapp'], 5, 0, 1, false],
    ['whatsapp only: below min_count', ['whatsapp'], 9, 1, 2, false],
    ['whatsapp only: exactly min_count', ['whatsapp'], 0, 2, 2, true],
    ['both channels add up', ['call', 'whatsapp'], 1, 1, 2, true],
    ['both channels: sum below min_count', ['call', 'whatsapp'], 1, 1, 3, false],
    ['channel order does not matter', ['whatsapp', 'call'], 1, 1, 2, true],
    ['no channels key means both', undefined, 1, 1, 2, true],
    ['no channels key: sum below min_count', undefined, 1, 1, 3, false],
    ['empty channels means both', [], 1, 1, 2, true],
    ['empty channels: sum below min_count', [], 1, 0, 2, false],
    ['nothing happened', undefined, 0, 0, 1, false],
  ];
  it.each(cases)('%s', (_name, channels, answeredCalls, repliedMessages, minCount, expected) => {
    const objective: Objective = { type: 'contact', min_count: minCount, ...(channels ? { channels } : {}) };
    expect(isGoalMet(only(objective), 'all', history({ answeredCalls, repliedMessages }))).toBe(expected);
    expect(isGoalMet(only(objective), 'any', history({ answeredCalls, repliedMessages }))).toBe(expected);
  });

  it('counts the whole history, not only answered calls or replies of one kind', () => {
    const spec = only({ type: 'contact', channels: ['call', 'whatsapp'], min_count: 4 });
    expect(isGoalMet(spec, 'all', history({ answeredCalls: 3, repliedMessages: 1 }))).toBe(true);
    expect(isGoalMet(spec, 'all', history({ answeredCalls: 3, repliedMessages: 0 }))).toBe(false);
  });

  it('is not satisfied by emails or AI evaluations', () => {
    const spec = only({ type: 'contact', min_count: 1 });
    expect(isGoalMet(spec, 'any', history({ sentEmails: 3, aiEvaluations: [{ label: 'positive', score: 1 }] }))).toBe(false);
  });
});

describe('isGoalMet: email objective', () => {
  it.each([
    [0, 1, false],
    [1, 1, true],
    [1, 2, false],
    [2, 2, true],
    [3, 2, true],
  ])('%i sent emails against min_count %i → %s', (sentEmails, minCount, expected) => {
    expect(isGoalMet(only({ type: 'email', min_count: minCount }), 'all', history({ sentEmails }))).toBe(expected);
  });

  it('is not satisfied by calls or replies', () => {
    expect(isGoalMet(only({ type: 'email', min_count: 1 }), 'all', history({ answeredCalls: 4, repliedMessages: 4 }))).toBe(false);
  });
});

describe('isGoalMet: ai objective', () => {
  type Label = 'positive' | 'negative' | 'neutral';
  const ai = (minScore: number, labelIn?: Label[]): GoalSpec => only({ type: 'ai', min_score: minScore, ...(labelIn ? { label_in: labelIn } : {}) });
  const evaluated = (...evaluations: Array<[string, number]>) =>
    history({ answeredCalls: 1, aiEvaluations: evaluations.map(([label, score]) => ({ label, score })) });

  it('no evaluation: not met, even when reached', () => {
    expect(isGoalMet(ai(0), 'all', history({ answeredCalls: 3, repliedMessages: 3 }))).toBe(false);
    expect(isGoalMet(ai(0, []), 'any', history({ answeredCalls: 3 }))).toBe(false);
  });

  it.each<[string, Label[] | undefined]>([
    ['label_in absent', undefined],
    ['label_in empty', []],
  ])('%s accepts any label', (_name, labelIn) => {
    for (const label of ['positive', 'negative', 'neutral']) {
      expect(isGoalMet(ai(0.5, labelIn), 'all', evaluated([label, 0.5]))).toBe(true);
    }
  });

  it.each<[Label[], string, boolean]>([
    [['positive'], 'positive', true],
    [['positive'], 'negative', false],
    [['positive'], 'neutral', false],
    [['positive', 'neutral'], 'neutral', true],
    [['positive', 'neutral'], 'negative', false],
    [['negative'], 'negative', true],
  ])('label_in %j with label %s → %s', (labelIn, label, expected) => {
    expect(isGoalMet(ai(0.2, labelIn), 'all', evaluated([label, 0.9]))).toBe(expected);
  });

  it.each([
    [0.7, 0.7, true],
    [0.7, 0.69, false],
    [0.7, 0.71, true],
    [0, 0, true],
    [1, 1, true],
    [1, 0.99, false],
  ])('min_score %d, score %d → %s (boundary inclusive)', (minScore, score, expected) => {
    expect(isGoalMet(ai(minScore, ['positive']), 'all', evaluated(['positive', score]))).toBe(expected);
    expect(isGoalMet(ai(minScore), 'all', evaluated(['neutral', score]))).toBe(expected);
  });

  it('needs label and score on the same evaluation', () => {
    // A high-scoring negative and a low-scoring positive do not combine into a met goal.
    const spec = ai(0.8, ['positive']);
    expect(isGoalMet(spec, 'all', evaluated(['negative', 0.95], ['positive', 0.5]))).toBe(false);
    expect(isGoalMet(spec, 'all', evaluated(['negative', 0.95], ['positive', 0.5], ['positive', 0.8]))).toBe(true);
  });

  it('any one matching evaluation is enough, wherever it is in the history', () => {
    const spec = ai(0.6, ['positive']);
    expect(isGoalMet(spec, 'all', evaluated(['positive', 0.9], ['negative', 0.1]))).toBe(true);
    expect(isGoalMet(spec, 'all', evaluated(['neutral', 0.1], ['positive', 0.6]))).toBe(true);
  });
});

describe('isGoalMet: goal_logic', () => {
  const contact: Objective = { type: 'contact', channels: ['call'], min_count: 1 };
  const email: Objective = { type: 'email', min_count: 1 };
  const ai: Objective = { type: 'ai', label_in: ['positive'], min_score: 0.5 };
  const spec: GoalSpec = { objectives: [contact, email, ai] };

  const answered = { answeredCalls: 1 };
  const emailed = { sentEmails: 1 };
  const positive = { aiEvaluations: [{ label: 'positive', score: 0.9 }] };

  // [which objectives are met, all, any]
  const cases: Array<[string, Partial<ContactHistory>, boolean, boolean]> = [
    ['none', {}, false, false],
    ['contact only', answered, false, true],
    ['email only', emailed, false, true],
    ['ai only', positive, false, true],
    ['contact + email', { ...answered, ...emailed }, false, true],
    ['contact + ai', { ...answered, ...positive }, false, true],
    ['email + ai', { ...emailed, ...positive }, false, true],
    ['all three', { ...answered, ...emailed, ...positive }, true, true],
  ];
  it.each(cases)('%s met → all: %s, any: %s', (_name, overrides, all, any) => {
    expect(isGoalMet(spec, 'all', history(overrides))).toBe(all);
    expect(isGoalMet(spec, 'any', history(overrides))).toBe(any);
  });

  it('a single objective behaves the same under all and any', () => {
    for (const overrides of [{}, answered]) {
      expect(isGoalMet(only(contact), 'all', history(overrides))).toBe(isGoalMet(only(contact), 'any', history(overrides)));
    }
  });

  it('two objectives of the same type are each checked', () => {
    const twoContacts: GoalSpec = {
      objectives: [
        { type: 'contact', channels: ['call'], min_count: 1 },
        { type: 'contact', channels: ['whatsapp'], min_count: 1 },
      ],
    };
    expect(isGoalMet(twoContacts, 'all', history({ answeredCalls: 2 }))).toBe(false);
    expect(isGoalMet(twoContacts, 'any', history({ answeredCalls: 2 }))).toBe(true);
    expect(isGoalMet(twoContacts, 'all', history({ answeredCalls: 1, repliedMessages: 1 }))).toBe(true);
  });
});

describe('isGoalMet: no objectives', () => {
  const specs: Array<[string, GoalSpec | null | undefined]> = [
    ['null spec', null],
    ['undefined spec', undefined],
    ['spec without objectives', {}],
    ['empty objectives', { objectives: [] }],
  ];
  for (const [name, spec] of specs) {
    describe(name, () => {
      it.each(['all', 'any'] as const)('not reached → not met (%s)', (logic) => {
        expect(isGoalMet(spec, logic, history())).toBe(false);
        // Emails and AI evaluations do not reach the target.
        expect(isGoalMet(spec, logic, history({ sentEmails: 2, aiEvaluations: [{ label: 'positive', score: 1 }] }))).toBe(false);
      });
      it.each(['all', 'any'] as const)('answered call → met (%s)', (logic) => {
        expect(isGoalMet(spec, logic, history({ answeredCalls: 1 }))).toBe(true);
      });
      it.each(['all', 'any'] as const)('WhatsApp reply → met (%s)', (logic) => {
        expect(isGoalMet(spec, logic, history({ repliedMessages: 1 }))).toBe(true);
      });
    });
  }
});
