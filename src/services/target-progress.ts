import type { Campaign } from '../db/repositories/campaigns.js';
import { insertCalls, type NewCall } from '../db/repositories/calls.js';
import { insertMessages, type NewMessage } from '../db/repositories/messages.js';
import { loadEarlierOutcomes, loadHistories, saveProgress, type LockedTarget, type ProgressRow } from '../db/repositories/target-progress.js';
import { cancelWaiting, refreshPending, type PromotedWork } from '../db/repositories/work.js';
import type { Db } from '../db/sql.js';
import { addMinutesThenWindow, effectiveZone } from '../domain/call-window.js';
import { roundOutcomeOf, type RecordedOutcome } from '../domain/outcomes.js';
import { progressTarget } from '../domain/progress.js';
import { nextStepAfterCall } from '../domain/rounds.js';
import { isPastEnd } from '../domain/schedule.js';
import type { TargetState } from '../domain/target-state.js';
import { appendWebhookEvents } from '../db/repositories/webhook-events.js';
import { targetEvents, type TargetProgressFacts, type WebhookEvent } from '../domain/webhook-events.js';
import type { AfterCommit } from './after-commit.js';
import { callWindowOf, goalOf, roundPolicyOf } from './campaign-policy.js';

/** What just changed for a target inside the transaction, for it to move on. */
export interface TargetChange {
  targetId: string;
  /** This change reached the target (an answered call, a WhatsApp reply). */
  reachedNow: boolean;
  /** A call ended: its round goes on with the next step unless the round ends. */
  call?: { round: number; roundAttempt: number; outcome: RecordedOutcome };
  /** Why the round ends if this change leaves the target without work and says no other reason (its last WhatsApp message sent, say). */
  roundEndReason?: string;
}

/**
 * After a change per target (a call's outcome, a message's event, a target event, the list):
 * evaluates each target's goal on its whole history, ends its round (cancels its waiting work)
 * when the goal is met, it is listed or it was reached, else writes the round's next step; then
 * stores the targets' states. The targets must be locked by the caller. Returns what Redis must
 * do after commit, and the new states.
 */
export async function advanceTargets(
  tx: Db,
  campaigns: Map<string, Campaign>,
  targets: Map<string, LockedTarget>,
  changes: TargetChange[],
  now: Date,
): Promise<{ effects: AfterCommit; states: Map<string, TargetState> }> {
  const histories = await loadHistories(
    tx,
    changes.map((change) => change.targetId),
  );
  // Retry rules count the outcomes of the round so far; only campaigns with rules need them.
  const earlierOutcomes = await loadEarlierOutcomes(
    tx,
    changes.flatMap((change) => {
      const campaign = campaigns.get(targets.get(change.targetId)?.campaignId ?? '');
      return change.call && campaign?.callRetryPolicy ? [{ targetId: change.targetId, round: change.call.round, roundAttempt: change.call.roundAttempt }] : [];
    }),
  );
  const ending = new Map<string, string[]>();
  const newCalls: NewCall[] = [];
  const newMessages: NewMessage[] = [];
  const progress: ProgressRow[] = [];
  const events: WebhookEvent[] = [];
  const roundEnds = new Map<string, { reason: string; facts: Omit<TargetProgressFacts, 'reachedNow' | 'goalMetNow' | 'roundEnded'> }>();

  for (const change of changes) {
    const target = targets.get(change.targetId);
    const history = histories.get(change.targetId);
    const campaign = target && campaigns.get(target.campaignId);
    if (!target || !history || !campaign) throw new Error(`target ${change.targetId} was not locked with its campaign`);
    const result = progressTarget({
      goal: goalOf(campaign),
      history,
      reachedNow: change.reachedNow,
      previous: target,
      now,
    });
    let lastAttempt = target.lastAttempt;
    let stepEnd: string | null = null;
    const facts = { organizationId: campaign.organizationId, campaignId: campaign.id, targetId: target.id, round: target.round, state: result.state };
    events.push(
      ...targetEvents({
        ...facts,
        reachedNow: !target.reachedAt && result.reachedAt !== null,
        goalMetNow: !target.goalMetAt && result.goalMetAt !== null,
        roundEnded: null,
      }),
    );
    if (result.roundEnds) {
      ending.set(result.roundEnds, [...(ending.get(result.roundEnds) ?? []), target.id]);
    } else if (change.call && change.call.round === target.round && campaign.status !== 'done') {
      const policy = roundPolicyOf(campaign);
      const inRound = {
        roundAttempt: change.call.roundAttempt,
        outcome: roundOutcomeOf(change.call.outcome),
        earlierOutcomes: (earlierOutcomes.get(target.id) ?? []).map(roundOutcomeOf),
        openedWithWhatsapp: history.roundsOpenedWithWhatsapp.includes(change.call.round),
        hasWhatsapp: target.hasWhatsapp,
      };
      let step = nextStepAfterCall(policy, inRound);
      const zone = effectiveZone(target.timezone, campaign.timezone);
      const due = step.kind === 'call' ? addMinutesThenWindow(now, step.delayMinutes, callWindowOf(campaign), zone) : null;
      // No attempt is made at or after the campaign's end: its round stops calling instead.
      if (due && isPastEnd(campaign, due)) step = nextStepAfterCall(policy, { ...inRound, endsBeforeNextCall: true });
      if (step.kind === 'call') {
        lastAttempt += 1;
        newCalls.push({
          campaignId: campaign.id,
          targetId: target.id,
          round: change.call.round,
          attempt: lastAttempt,
          roundAttempt: step.roundAttempt,
          scheduledFor: due!,
        });
      } else if (step.kind === 'whatsapp_fallback') {
        newMessages.push({ campaignId: campaign.id, targetId: target.id, round: change.call.round, kind: 'fallback', endsRound: true, scheduledFor: now });
      } else stepEnd = step.reason;
    }
    roundEnds.set(target.id, { reason: result.roundEnds ?? stepEnd ?? change.roundEndReason ?? 'no_work_left', facts });
    progress.push({ id: target.id, state: result.state, reachedAt: result.reachedAt, goalMetAt: result.goalMetAt, lastAttempt });
  }

  const withdraw: PromotedWork[] = [];
  for (const [reason, ids] of ending) withdraw.push(...(await cancelWaiting(tx, { targets: ids }, reason, now)));
  await insertCalls(tx, newCalls, now);
  await insertMessages(tx, newMessages, now);
  await saveProgress(tx, progress, now);
  const { idleTargets, idleCampaigns } = await refreshPending(
    tx,
    changes.map((change) => change.targetId),
    now,
  );
  // A target left without work has ended its round.
  for (const targetId of idleTargets) {
    const ended = roundEnds.get(targetId);
    if (ended) events.push(...targetEvents({ ...ended.facts, reachedNow: false, goalMetNow: false, roundEnded: ended.reason }));
  }
  const webhooks = await appendWebhookEvents(tx, events, now);
  return {
    effects: { withdraw, hopperPass: newCalls.length + newMessages.length > 0, settle: idleCampaigns, webhooks },
    states: new Map(progress.map((row) => [row.id, row.state])),
  };
}
