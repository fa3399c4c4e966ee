/**
 * Contact rounds (PRODUCT.md "Contact rounds"): what a round opens with, and what follows a
 * call outcome. Pure: the caller supplies the campaign's policy and the target's contacts.
 */

export const callOutcomes = ['answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

export interface RoundPolicy {
  firstContactChannel: 'call' | 'whatsapp';
  /** Minutes to wait after unanswered attempt k before attempt k + 1. */
  callAttemptDelays: number[];
  whatsappAfterAttempts: number;
  hasWhatsappChannel: boolean;
}

export interface Contacts {
  phone: string | null;
  whatsapp: string | null;
}

export type RoundOpening =
  /** A call; with `whatsappFirst`, a first WhatsApp message goes out at the same time. */
  | { kind: 'call'; whatsappFirst: boolean }
  /** Only a WhatsApp message: the round ends when it is sent. */
  | { kind: 'whatsapp' }
  | { kind: 'none' };

export const attemptsPerRound = (policy: RoundPolicy) => policy.callAttemptDelays.length + 1;

export function openRound(policy: RoundPolicy, contacts: Contacts): RoundOpening {
  const canMessage = policy.hasWhatsappChannel && contacts.whatsapp !== null;
  const canCall = contacts.phone !== null;
  if (canCall) return { kind: 'call', whatsappFirst: canMessage && policy.firstContactChannel === 'whatsapp' };
  return canMessage ? { kind: 'whatsapp' } : { kind: 'none' };
}

/**
 * Whether an outcome ends the target's round before its next step: the goal is met, or this
 * very event reached the target (reaching it in an earlier round does not end this one).
 */
export function roundEndsOn(goalMet: boolean, reachedNow: boolean): 'goal_met' | 'reached' | null {
  if (goalMet) return 'goal_met';
  return reachedNow ? 'reached' : null;
}

export type NextStep =
  | { kind: 'call'; roundAttempt: number; delayMinutes: number }
  | { kind: 'whatsapp_fallback' }
  | { kind: 'end'; reason: 'reached' | 'failed' | 'unknown' | 'exhausted' };

export interface CallInRound {
  roundAttempt: number;
  outcome: CallOutcome;
  /** The round opened with a WhatsApp message: no fallback in this round. */
  openedWithWhatsapp: boolean;
  hasWhatsapp: boolean;
}

/** What follows a call outcome within its round (the goal is checked by the caller first). */
export function nextStepAfterCall(policy: RoundPolicy, call: CallInRound): NextStep {
  if (call.outcome === 'answered') return { kind: 'end', reason: 'reached' };
  if (call.outcome === 'failed') return { kind: 'end', reason: 'failed' };
  // The dialer cannot tell whether the call connected: never redial automatically.
  if (call.outcome === 'unknown') return { kind: 'end', reason: 'unknown' };
  const attempts = attemptsPerRound(policy);
  const fallbackAt = Math.min(policy.whatsappAfterAttempts, attempts);
  const canFallBack = policy.hasWhatsappChannel && call.hasWhatsapp && !call.openedWithWhatsapp;
  if (canFallBack && call.roundAttempt >= fallbackAt) return { kind: 'whatsapp_fallback' };
  if (call.roundAttempt >= attempts) return { kind: 'end', reason: 'exhausted' };
  return {
    kind: 'call',
    roundAttempt: call.roundAttempt + 1,
    delayMinutes: policy.callAttemptDelays[call.roundAttempt - 1] ?? 0,
  };
}
