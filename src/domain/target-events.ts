import type { AiLabel } from './goal.js';
import type { TargetState } from './target-state.js';

/** A report about a target from elsewhere: an email sent to it, or an AI evaluation of it. */
export type TargetEventReport = { type: 'email_sent'; occurredAt?: Date | undefined } | { type: 'ai_evaluation'; label: AiLabel; score: number };

/** A report stored earlier under the same dedupe key, with the target state it was answered with. */
export type StoredTargetEvent = ({ type: 'email_sent'; occurredAt: Date } | { type: 'ai_evaluation'; label: string; score: number }) & {
  targetState: TargetState;
};

export type TargetEventDecision = { kind: 'record' } | { kind: 'repeat'; targetState: TargetState } | { kind: 'conflict'; detail: string };

/**
 * How a repeat of the report is recognised, unique per target: its Idempotency-Key when the
 * reporter sends one; else, for an email, the time the reporter says it was sent (two emails to
 * one target at the same millisecond are one email retried). An email without either, and an AI
 * evaluation without a key, is never a repeat: a server-stamped time or an equal evaluation does
 * not identify a report. A repeated evaluation cannot inflate the goal anyway: the `ai`
 * objective asks for one evaluation that meets it, not for a count.
 */
export function dedupeKeyOf(report: TargetEventReport, idempotencyKey: string | undefined): string | null {
  if (idempotencyKey !== undefined) return `key:${idempotencyKey}`;
  if (report.type === 'email_sent' && report.occurredAt !== undefined) return `at:${report.occurredAt.toISOString()}`;
  return null;
}

/**
 * A report whose dedupe key is new is recorded; a repeat of the same event changes nothing and
 * is answered as the first one was; a key that comes back with another event is a conflict. An
 * email repeated under its key without `occurred_at` is the same email (the first one's time was
 * the server's).
 */
export function decideTargetEvent(previous: StoredTargetEvent | null, report: TargetEventReport): TargetEventDecision {
  if (previous === null) return { kind: 'record' };
  const same =
    previous.type === 'email_sent'
      ? report.type === 'email_sent' && (report.occurredAt === undefined || report.occurredAt.getTime() === previous.occurredAt.getTime())
      : report.type === 'ai_evaluation' && report.label === previous.label && report.score === previous.score;
  if (same) return { kind: 'repeat', targetState: previous.targetState };
  return { kind: 'conflict', detail: 'This Idempotency-Key was already used for a different event of this target.' };
}
