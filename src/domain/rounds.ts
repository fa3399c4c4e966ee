import type { ChannelName } from './channel-names.js';

/**
 * Contact rounds (docs/product.md, "Contact rounds"): what a round opens with, and what follows a
 * call outcome. Pure: the caller supplies the campaign's policy and what it knows of the target.
 */

export const callOutcomes = ['answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

/** Outcomes a campaign may give a retry rule of their own. */
export const retriedOutcomes = ['no_answer', 'busy', 'voicemail', 'failed'] as const;
export type RetriedOutcome = (typeof retriedOutcomes)[number];

export interface RetryRule {
  delayMinutes: number;
  /** How many times this outcome is retried in one round, at most. */
  maxRetries: number;
}

export interface RoundPolicy {
  firstContactChannel: ChannelName;
  /** Minutes to wait after unanswered attempt k before attempt k + 1. */
  callAttemptDelays: number[];
  whatsappAfterAttempts: number;
  hasWhatsappChannel: boolean;
  /** Retry rules by outcome (`call_retry_policy`); an outcome without one follows callAttemptDelays. */
  callRetryPolicy?: Partial<Record<RetriedOutcome, RetryRule>>;
}

/** What the round opener knows about a target, read in the same statement that opens its round. */
export interface OpeningFacts {
  /** The target has a pending call or message (the previous round is still running). */
  hasPending: boolean;
  hasPhone: boolean;
  hasWhatsapp: boolean;
  /** The target is on the organization's do-not-contact list. */
  doNotContact: boolean;
}

export type RoundOpening =
  | { kind: 'skip'; reason: 'existing_pending' | 'do_not_contact' | 'missing_contact' }
  | {
      kind: 'open';
      /** Attempt 1 is scheduled (the target has a phone). */
      call: boolean;
      /** A first WhatsApp message is queued; it ends the round when no call follows it. */
      message: null | { endsRound: boolean };
      /** The resume/start count this round falls in: one that opens with a message is a queued WhatsApp. */
      countsAs: 'scheduled_calls' | 'queued_whatsapp';
    };

export const attemptsPerRound = (policy: RoundPolicy) => policy.callAttemptDelays.length + 1;

/**
 * Whether and how a target's round opens (docs/product.md, "Contact rounds", "Resume segments"): not
 * while earlier work is pending, never for a listed target; a call when there is a phone, and a
 * WhatsApp message first when the campaign has the channel and the target a number, if there is
 * no phone or the campaign opens with WhatsApp. With neither, there is no round.
 */
export function decideOpening(policy: RoundPolicy, facts: OpeningFacts): RoundOpening {
  if (facts.hasPending) return { kind: 'skip', reason: 'existing_pending' };
  if (facts.doNotContact) return { kind: 'skip', reason: 'do_not_contact' };
  const call = facts.hasPhone;
  const message = policy.hasWhatsappChannel && facts.hasWhatsapp && (!facts.hasPhone || policy.firstContactChannel === 'whatsapp');
  if (!call && !message) return { kind: 'skip', reason: 'missing_contact' };
  return {
    kind: 'open',
    call,
    message: message ? { endsRound: !call } : null,
    countsAs: message ? 'queued_whatsapp' : 'scheduled_calls',
  };
}

export type NextStep =
  | { kind: 'call'; roundAttempt: number; delayMinutes: number }
  | { kind: 'whatsapp_fallback' }
  | { kind: 'end'; reason: 'reached' | 'failed' | 'unknown' | 'exhausted' };

export interface CallInRound {
  roundAttempt: number;
  outcome: CallOutcome;
  /** Outcomes of the round's earlier calls (each one a retry of its outcome when a call followed it). */
  earlierOutcomes: readonly CallOutcome[];
  /** The round opened with a WhatsApp message: no fallback in this round. */
  openedWithWhatsapp: boolean;
  hasWhatsapp: boolean;
  /** The campaign ends before the next call would be due (`ends_at`): the round's calls stop here. */
  endsBeforeNextCall?: boolean;
}

/**
 * What follows a call outcome within its round (the goal is checked by the caller first). An
 * outcome with a retry rule is retried `delayMinutes` later until it has been retried
 * `maxRetries` times in the round; one without follows callAttemptDelays (`failed` then ends the
 * round). Every retry draws on the round's one budget of attempts, and the WhatsApp fallback
 * comes after `whatsappAfterAttempts` attempts, or when the calls of the round stop sooner (the
 * budget or a cap is spent, or the campaign ends before the next call would be due).
 */
export function nextStepAfterCall(policy: RoundPolicy, call: CallInRound): NextStep {
  if (call.outcome === 'answered') return { kind: 'end', reason: 'reached' };
  // The dialer cannot tell whether the call connected: never redial automatically.
  if (call.outcome === 'unknown') return { kind: 'end', reason: 'unknown' };
  const rule = policy.callRetryPolicy?.[call.outcome];
  if (call.outcome === 'failed' && !rule) return { kind: 'end', reason: 'failed' };
  const attempts = attemptsPerRound(policy);
  const retriedBefore = call.earlierOutcomes.filter((outcome) => outcome === call.outcome).length;
  const callsStop = call.roundAttempt >= attempts || (rule !== undefined && retriedBefore >= rule.maxRetries) || call.endsBeforeNextCall === true;
  const fallbackAt = Math.min(policy.whatsappAfterAttempts, attempts);
  const canFallBack = policy.hasWhatsappChannel && call.hasWhatsapp && !call.openedWithWhatsapp;
  if (canFallBack && (call.roundAttempt >= fallbackAt || callsStop)) return { kind: 'whatsapp_fallback' };
  if (callsStop) return { kind: 'end', reason: call.outcome === 'failed' ? 'failed' : 'exhausted' };
  return {
    kind: 'call',
    roundAttempt: call.roundAttempt + 1,
    delayMinutes: rule ? rule.delayMinutes : (policy.callAttemptDelays[call.roundAttempt - 1] ?? 0),
  };
}
