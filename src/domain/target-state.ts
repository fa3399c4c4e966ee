import { isReached, type ContactHistory } from './goal.js';

export const targetStates = ['not_contacted', 'not_answered', 'failed', 'unresolved', 'goal_met', 'do_not_contact'] as const;
export type TargetState = (typeof targetStates)[number];

export interface TargetHistory extends ContactHistory {
  /** Any call attempt or WhatsApp message ever made (not merely scheduled or canceled). */
  attempted: boolean;
  /** The latest finished attempt, call or message, failed (a call without outcome in time counts). */
  lastAttemptFailed: boolean;
  /** The target is on its organization's do-not-contact list. */
  doNotContact: boolean;
}

/**
 * docs/product.md, "Resume segments": each target is in exactly one state. A listed target has its
 * own state (no segment selects it); a goal already met stays met.
 */
export function deriveTargetState(history: TargetHistory, goalMet: boolean): TargetState {
  if (goalMet) return 'goal_met';
  if (history.doNotContact) return 'do_not_contact';
  if (isReached(history)) return 'unresolved';
  if (!history.attempted) return 'not_contacted';
  return history.lastAttemptFailed ? 'failed' : 'not_answered';
}
