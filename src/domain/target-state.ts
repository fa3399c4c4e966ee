import { isReached, type ContactHistory } from './goal.js';

export type TargetState = 'not_contacted' | 'not_answered' | 'failed' | 'unresolved' | 'goal_met';

export interface TargetHistory extends ContactHistory {
  /** Any call attempt or WhatsApp message ever made (not merely scheduled or canceled). */
  attempted: boolean;
  /** The latest finished attempt, call or message, failed. */
  lastAttemptFailed: boolean;
}

/** PRODUCT.md "Resume segments": each target is in exactly one state. */
export function deriveTargetState(history: TargetHistory, goalMet: boolean): TargetState {
  if (goalMet) return 'goal_met';
  if (isReached(history)) return 'unresolved';
  if (!history.attempted) return 'not_contacted';
  return history.lastAttemptFailed ? 'failed' : 'not_answered';
}
