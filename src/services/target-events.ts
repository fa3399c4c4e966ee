import { lockCampaign } from '../db/repositories/campaign-state.js';
import { insertEmailEvent, insertEvaluations } from '../db/repositories/evaluations.js';
import { lockTargets } from '../db/repositories/target-progress.js';
import { NotFound } from '../domain/errors.js';
import type { TargetState } from '../domain/target-state.js';
import { applyAfterCommit } from './after-commit.js';
import type { ServiceDeps } from './deps.js';
import { advanceTargets } from './target-progress.js';
import type { AiLabel } from '../domain/goal.js';

export type TargetEventInput = { type: 'email_sent'; occurredAt?: Date | undefined } | { type: 'ai_evaluation'; label: AiLabel; score: number };

/** Records an email sent to the target or an AI evaluation of it; both count toward the goal. */
export async function recordTargetEvent(
  deps: Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger'>,
  input: { organizationId: string; campaignId: string; targetId: string; event: TargetEventInput },
): Promise<{ targetState: TargetState }> {
  const now = deps.clock();
  const { targetState, effects } = await deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, input.campaignId, 'shared');
    const targets = campaign?.organizationId === input.organizationId ? await lockTargets(tx, [input.targetId]) : new Map();
    const target = targets.get(input.targetId);
    if (!campaign || !target || target.campaignId !== campaign.id) throw new NotFound('Target not found.');
    const { event } = input;
    if (event.type === 'email_sent') {
      await insertEmailEvent(tx, { campaignId: campaign.id, targetId: target.id, occurredAt: event.occurredAt ?? now });
    } else {
      await insertEvaluations(tx, [{ campaignId: campaign.id, targetId: target.id, callId: null, label: event.label, score: event.score }]);
    }
    const advanced = await advanceTargets(tx, new Map([[campaign.id, campaign]]), targets, [{ targetId: target.id, reachedNow: false }], now);
    return { targetState: advanced.states.get(target.id)!, effects: advanced.effects };
  });
  await applyAfterCommit(deps, effects);
  return { targetState };
}
