import { isGoalMet, isReached, type GoalLogic, type GoalSpec } from './goal.js';
import { deriveTargetState, type TargetHistory, type TargetState } from './target-state.js';

export interface ProgressInput {
  goal: { spec: GoalSpec | null; logic: GoalLogic };
  /** The target's whole history, the event just recorded included. */
  history: TargetHistory;
  /** This very event reached the target (an answered call, a WhatsApp reply). */
  reachedNow: boolean;
  previous: { reachedAt: Date | null; goalMetAt: Date | null };
  now: Date;
}

export interface TargetProgress {
  state: TargetState;
  reachedAt: Date | null;
  goalMetAt: Date | null;
  /** Why the target's round ends now (its waiting work is canceled), or null when it goes on. */
  roundEnds: 'goal_met' | 'do_not_contact' | 'reached' | null;
}

/**
 * After any outcome (docs/product.md, "Goal", "Contact rounds"): the goal is evaluated on the whole
 * history; the round ends when the goal is met, the target is listed, or this event reached it
 * (reaching it in an earlier round does not end this one).
 */
export function progressTarget(input: ProgressInput): TargetProgress {
  const { history, previous, now } = input;
  const goalMet = isGoalMet(input.goal.spec, input.goal.logic, history);
  const roundEnds = goalMet ? 'goal_met' : history.doNotContact ? 'do_not_contact' : input.reachedNow ? 'reached' : null;
  return {
    state: deriveTargetState(history, goalMet),
    reachedAt: previous.reachedAt ?? (isReached(history) ? now : null),
    goalMetAt: previous.goalMetAt ?? (goalMet ? now : null),
    roundEnds,
  };
}
