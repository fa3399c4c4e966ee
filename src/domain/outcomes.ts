import type { CallOutcome } from './rounds.js';

/** A call's status as stored. */
export const callStatuses = ['scheduled', 'dialing', 'answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown', 'canceled', 'timed_out'] as const;
export type CallStatus = (typeof callStatuses)[number];

/** What may be recorded on a call: a dialer's outcome, or the timeout sweep's provisional one. */
export type RecordedOutcome = CallOutcome | 'timed_out';

export type OutcomeDecision = { kind: 'record' } | { kind: 'duplicate' } | { kind: 'conflict'; detail: string };

const ENDED: ReadonlySet<CallStatus> = new Set(['answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown']);

/**
 * Whether an outcome applies to a call in its current status. The same outcome twice is
 * harmless; a different one for an ended call is a conflict. `timed_out` is provisional: the
 * dialer's real outcome replaces it whenever it arrives, and the sweep never overrides anything.
 */
export function decideOutcome(current: { status: CallStatus; cancelReason: string | null }, reported: RecordedOutcome): OutcomeDecision {
  if (reported === 'timed_out') return current.status === 'dialing' ? { kind: 'record' } : { kind: 'duplicate' };
  if (current.status === 'scheduled' || current.status === 'dialing' || current.status === 'timed_out') return { kind: 'record' };
  if (current.status === 'canceled') {
    return { kind: 'conflict', detail: `The call was canceled (${current.cancelReason ?? 'no longer needed'}) before it was dialed.` };
  }
  if (current.status === reported) return { kind: 'duplicate' };
  return { kind: 'conflict', detail: `The call already ended as ${current.status}; a different outcome cannot replace it.` };
}

/** Statuses of calls that were attempted and failed (the timeout counts until the real outcome). */
export const FAILED_CALL_STATUSES: readonly CallStatus[] = ['failed', 'timed_out'];
export const isEnded = (status: CallStatus) => ENDED.has(status) || status === 'timed_out';
