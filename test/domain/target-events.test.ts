import { describe, expect, it } from 'vitest';
import { decideTargetEvent, dedupeKeyOf, type StoredTargetEvent, type TargetEventReport } from '../../src/domain/target-events.js';

const AT = new Date('2026-11-30T09:00:00Z');
const email = (occurredAt?: Date): TargetEventReport => ({ type: 'email_sent', occurredAt });
const evaluation = (label: 'positive' | 'negative' | 'neutral', score: number): TargetEventReport => ({ type: 'ai_evaluation', label, score });

describe('dedupeKeyOf', () => {
  // [report, Idempotency-Key, key]
  const table: Array<[string, TargetEventReport, string | undefined, string | null]> = [
    ['an email with a key', email(AT), 'k-1', 'key:k-1'],
    ['an email without time, with a key', email(), 'k-1', 'key:k-1'],
    ['an email with its time and no key', email(AT), undefined, 'at:2026-11-30T09:00:00.000Z'],
    ['the same instant in another offset', email(new Date('2026-11-30T10:00:00+01:00')), undefined, 'at:2026-11-30T09:00:00.000Z'],
    ['an email with neither: never a repeat', email(), undefined, null],
    ['an evaluation with a key', evaluation('positive', 0.9), 'k-2', 'key:k-2'],
    ['an evaluation without a key: never a repeat', evaluation('positive', 0.9), undefined, null],
  ];
  it.each(table)('%s', (_name, report, idempotencyKey, expected) => {
    expect(dedupeKeyOf(report, idempotencyKey)).toBe(expected);
  });
});

describe('decideTargetEvent', () => {
  const storedEmail: StoredTargetEvent = { type: 'email_sent', occurredAt: AT, targetState: 'not_contacted' };
  const storedEvaluation: StoredTargetEvent = { type: 'ai_evaluation', label: 'positive', score: 0.9, targetState: 'goal_met' };
  const CONFLICT = { kind: 'conflict', detail: 'This Idempotency-Key was already used for a different event of this target.' };

  // [stored under the key, report, decision]
  const table: Array<[string, StoredTargetEvent | null, TargetEventReport, object]> = [
    ['a new key records', null, email(AT), { kind: 'record' }],
    ['the same email repeats, answered as the first', storedEmail, email(AT), { kind: 'repeat', targetState: 'not_contacted' }],
    ['the same email without its time repeats', storedEmail, email(), { kind: 'repeat', targetState: 'not_contacted' }],
    ['an email at another time conflicts', storedEmail, email(new Date('2026-11-30T09:00:00.001Z')), CONFLICT],
    ['an evaluation under an email key conflicts', storedEmail, evaluation('positive', 0.9), CONFLICT],
    ['the same evaluation repeats, answered as the first', storedEvaluation, evaluation('positive', 0.9), { kind: 'repeat', targetState: 'goal_met' }],
    ['another label conflicts', storedEvaluation, evaluation('neutral', 0.9), CONFLICT],
    ['another score conflicts', storedEvaluation, evaluation('positive', 0.8), CONFLICT],
    ['an email under an evaluation key conflicts', storedEvaluation, email(AT), CONFLICT],
  ];
  it.each(table)('%s', (_name, previous, report, expected) => {
    expect(decideTargetEvent(previous, report)).toEqual(expected);
  });
});
