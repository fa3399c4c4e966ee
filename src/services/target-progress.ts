import type { Prisma } from '../generated/prisma/client.js';
import type { Campaign, Target } from '../generated/prisma/client.js';
import { cancelPending, hasPendingWork, loadTargetHistory } from '../db/repositories/contacts.js';
import { isGoalMet, isReached } from '../domain/goal.js';
import { roundEndsOn } from '../domain/rounds.js';
import { deriveTargetState } from '../domain/target-state.js';
import type { AfterCommit } from './after-commit.js';
import { goalSpecOf } from './campaign-policy.js';

export interface Progress {
  campaign: Campaign;
  target: Target;
  now: Date;
  /** This event reached the target (an answered call, a WhatsApp reply): its round ends. */
  reachedNow: boolean;
  /** Writes the round's next step when the round goes on; called only if it does. */
  continueRound?: (tx: Prisma.TransactionClient) => Promise<void>;
  /** Unique per event, so every event gets its own completion check. */
  trigger: string;
}

/**
 * After any outcome: evaluate the goal on the target's whole history, end the round (cancel its
 * pending work) when the goal is met or the target was reached, else let the round go on; then
 * store the target's state. Returns what must happen in Redis after commit.
 */
export async function progressTarget(tx: Prisma.TransactionClient, progress: Progress): Promise<AfterCommit> {
  const { campaign, target, now } = progress;
  const history = await loadTargetHistory(tx, target.id);
  const goalMet = isGoalMet(goalSpecOf(campaign), campaign.goalLogic, history);
  const effects: AfterCommit = {};
  const ended = roundEndsOn(goalMet, progress.reachedNow);
  if (ended) {
    effects.withdraw = await cancelPending(tx, 'target', target.id, ended);
  } else if (progress.continueRound) {
    await progress.continueRound(tx);
    effects.promoteNow = true;
  }
  const reached = isReached(history);
  await tx.target.update({
    where: { id: target.id },
    data: {
      state: deriveTargetState(history, goalMet),
      reachedAt: target.reachedAt ?? (reached ? now : null),
      goalMetAt: target.goalMetAt ?? (goalMet ? now : null),
    },
  });
  if (!(await hasPendingWork(tx, 'target', target.id))) {
    effects.settleCampaign = { campaignId: campaign.id, trigger: progress.trigger };
  }
  return effects;
}
