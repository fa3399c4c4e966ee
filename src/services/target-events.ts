import { lockCampaign, lockTargets } from '../db/locks.js';
import { findTargetEvent, insertTargetEvent, saveTargetEventAnswer } from '../db/repositories/evaluations.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { decideTargetEvent, dedupeKeyOf, type TargetEventReport } from '../domain/target-events.js';
import type { TargetState } from '../domain/target-state.js';
import { applyAfterCommit } from './after-commit.js';
import type { ServiceDeps } from './deps.js';
import { advanceTargets } from './target-progress.js';

/**
 * Records an email sent to the target or an AI evaluation of it; both count toward the goal. A
 * repeat (same dedupe key, `decideTargetEvent`) changes nothing and is answered as the first
 * report was. Reports of one target run one at a time (its row is locked before the lookup), and
 * the unique index on (target_id, dedupe_key) keeps one row per key whatever happens.
 */
export async function recordTargetEvent(
  deps: Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger'>,
  input: { organizationId: string; campaignId: string; targetId: string; event: TargetEventReport; idempotencyKey?: string | undefined },
): Promise<{ targetState: TargetState }> {
  const now = deps.clock();
  const dedupeKey = dedupeKeyOf(input.event, input.idempotencyKey);
  const { targetState, effects } = await deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, input.campaignId, 'shared');
    const targets = campaign?.organizationId === input.organizationId ? await lockTargets(tx, [input.targetId]) : new Map();
    const target = targets.get(input.targetId);
    if (!campaign || !target || target.campaignId !== campaign.id) throw new NotFound('Target not found.');
    const { event } = input;
    const decision = decideTargetEvent(dedupeKey === null ? null : await findTargetEvent(tx, target.id, dedupeKey), event);
    if (decision.kind === 'conflict') throw new Conflict(decision.detail);
    if (decision.kind === 'repeat') return { targetState: decision.targetState, effects: {} };
    const inserted = await insertTargetEvent(tx, {
      campaignId: campaign.id,
      targetId: target.id,
      dedupeKey,
      ...(event.type === 'email_sent' ? { type: 'email_sent', occurredAt: event.occurredAt ?? now } : event),
    });
    const advanced = await advanceTargets(tx, new Map([[campaign.id, campaign]]), targets, [{ targetId: target.id, reachedNow: false }], now);
    const state = advanced.states.get(target.id)!;
    await saveTargetEventAnswer(tx, inserted, state);
    return { targetState: state, effects: advanced.effects };
  });
  await applyAfterCommit(deps, effects);
  return { targetState };
}
