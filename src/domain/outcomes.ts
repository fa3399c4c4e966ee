import type { CallOutcome } from './rounds.js';

/** A call's status as stored. */
export const callStatuses = ['scheduled', 'dialing', 'answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown', 'canceled', 'timed_out'] as const;
export type CallStatus = (typeof callStatuses)[number];

/** What may be recorded on a call: a dialer's outcome, or the timeout sweep's provisional one. */
export type RecordedOutcome = CallOutcome | 'timed_out';

/** Only an answered call can carry an opt-out: the person was heard. */
export const OPT_OUT_UNANSWERED = 'only an answered call can carry an opt-out (the person was heard)';
export const canCarryOptOut = (status: RecordedOutcome) => status === 'answered';

/** The outcome a round goes on from: a call without an outcome in time counts as failed until its real outcome arrives. */
export const roundOutcomeOf = (outcome: RecordedOutcome): CallOutcome => (outcome === 'timed_out' ? 'failed' : outcome);

/** The details an outcome carries besides its status; null where the report left the field out. */
export interface OutcomeDetails {
  durationS: number | null;
  aiLabel: string | null;
  aiScore: number | null;
  summary: string | null;
  /** The person asked not to be called again (false when the report left it out). */
  optOut: boolean;
}

/** The call as stored: its status, why it was canceled, and the details of its recorded outcome. */
export interface CallSnapshot extends OutcomeDetails {
  status: CallStatus;
  cancelReason: string | null;
}

export interface ReportedOutcome extends OutcomeDetails {
  status: RecordedOutcome;
}

export type OutcomeDecision = { kind: 'record' } | { kind: 'duplicate' } | { kind: 'conflict'; detail: string };

const ENDED: ReadonlySet<CallStatus> = new Set(['answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown']);

const NEVER_CLAIMED_CALL = 'The call was never claimed: claim it with POST /calls/{call_id}/claim before reporting its outcome.';

/** The details in the order and with the names of the outcome's body. */
const DETAIL_FIELDS: ReadonlyArray<[keyof OutcomeDetails, string]> = [
  ['durationS', 'duration_s'],
  ['aiLabel', 'ai_label'],
  ['aiScore', 'ai_score'],
  ['summary', 'summary'],
  ['optOut', 'opt_out'],
];

/**
 * Whether an outcome applies to a call in its current status.
 * - Only a claimed call takes an outcome: a `scheduled` one never passed the dispatch guard
 *   (campaign running, do-not-contact, pacing), so recording it would skip the guard.
 * - A repeat is harmless only when identical: the same status and every detail equal, a field
 *   left out equal only to a field left out. The same status with other details is a conflict:
 *   accepting it silently would drop them.
 * - `timed_out` is provisional: the dialer's real outcome replaces it whenever it arrives, and
 *   the sweep never overrides anything.
 */
export function decideOutcome(current: CallSnapshot, reported: ReportedOutcome): OutcomeDecision {
  if (reported.status === 'timed_out') return current.status === 'dialing' ? { kind: 'record' } : { kind: 'duplicate' };
  switch (current.status) {
    case 'dialing':
    case 'timed_out':
      return { kind: 'record' };
    case 'scheduled':
      return { kind: 'conflict', detail: NEVER_CLAIMED_CALL };
    case 'canceled':
      return { kind: 'conflict', detail: `The call was canceled (${current.cancelReason ?? 'no longer needed'}) before it was dialed.` };
  }
  if (current.status !== reported.status) {
    return { kind: 'conflict', detail: `The call already ended as ${current.status}; a different outcome cannot replace it.` };
  }
  const differing = DETAIL_FIELDS.filter(([field]) => current[field] !== reported[field]).map(([, name]) => name);
  if (differing.length === 0) return { kind: 'duplicate' };
  return {
    kind: 'conflict',
    detail: `The call already ended as ${current.status} with other details (${differing.join(', ')}); only the identical report may be repeated.`,
  };
}

/** Statuses of calls that were attempted and failed (the timeout counts until the real outcome). */
export const FAILED_CALL_STATUSES: readonly CallStatus[] = ['failed', 'timed_out'];
export const isEnded = (status: CallStatus) => ENDED.has(status) || status === 'timed_out';
