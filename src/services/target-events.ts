import { lockTarget } from '../db/repositories/contacts.js';
import { NotFound } from '../domain/errors.js';
import { applyAfterCommit } from './after-commit.js';
import type { OutcomeDeps } from './call-outcomes.js';
import { progressTarget } from './target-progress.js';

export type TargetEvent =
  | { type: 'email_sent'; occurred_at?: string | undefined }
  | { type: 'ai_evaluation'; label: 'positive' | 'negative' | 'neutral'; score: number };

/** Records an email sent to the target or an AI evaluation of it; both count toward the goal. */
export async function recordTargetEvent(
  deps: OutcomeDeps,
  input: { organizationId: string; campaignId: string; targetId: string; event: TargetEvent; requestId: string },
): Promise<{ target_state: string }> {
  const { state, effects } = await deps.db.$transaction(async (tx) => {
    const campaign = await tx.campaign.findFirst({ where: { id: input.campaignId, organizationId: input.organizationId } });
    const target = campaign && (await lockTarget(tx, input.targetId));
    if (!campaign || !target || target.campaignId !== campaign.id) throw new NotFound('Target not found.');
    const now = deps.clock();
    const { event } = input;
    if (event.type === 'email_sent') {
      await tx.emailEvent.create({
        data: { campaignId: campaign.id, targetId: target.id, occurredAt: event.occurred_at ? new Date(event.occurred_at) : now },
      });
    } else {
      await tx.aiEvaluation.create({ data: { campaignId: campaign.id, targetId: target.id, label: event.label, score: event.score } });
    }
    const effects = await progressTarget(tx, { campaign, target, now, reachedNow: false, trigger: `event-${input.requestId}` });
    const updated = await tx.target.findUniqueOrThrow({ where: { id: target.id } });
    return { state: updated.state, effects };
  });
  await applyAfterCommit(deps.queues, deps.logger, effects);
  return { target_state: state };
}
