import type { Prisma } from '../generated/prisma/client.js';
import type { Call, Campaign, Target } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { lockTarget } from '../db/repositories/contacts.js';
import { addMinutesThenWindow, effectiveZone } from '../domain/call-window.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { nextStepAfterCall } from '../domain/rounds.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { CallOutcomeReport } from '../queues/payloads.js';
import type { Queues } from '../queues/queues.js';
import { applyAfterCommit } from './after-commit.js';
import { callWindowOf, roundPolicyOf } from './campaign-policy.js';
import type { Clock } from './clock.js';
import { progressTarget } from './target-progress.js';

export interface OutcomeDeps {
  db: Db;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

const ENDED = new Set(['answered', 'no_answer', 'busy', 'voicemail', 'failed', 'unknown']);

/**
 * Records a call's outcome and moves its target on: goal, round end or next step. Reporting
 * the same outcome again changes nothing; a different outcome for an ended call is a conflict.
 */
export async function recordCallOutcome(
  deps: OutcomeDeps,
  input: { callId: string; organizationId?: string; report: CallOutcomeReport },
): Promise<Call> {
  const { call, effects, recorded } = await deps.db.$transaction(async (tx) => {
    const found = await tx.call.findUnique({ where: { id: input.callId }, include: { campaign: true } });
    if (!found || (input.organizationId && found.campaign.organizationId !== input.organizationId)) {
      throw new NotFound('Call not found.');
    }
    const target = (await lockTarget(tx, found.targetId))!;
    const current = await tx.call.findUniqueOrThrow({ where: { id: found.id } });
    if (ENDED.has(current.status)) {
      if (current.status === input.report.status) return { call: current, effects: {}, recorded: false };
      throw new Conflict(`The call already ended as ${current.status}; a different outcome cannot replace it.`);
    }
    if (current.status === 'canceled') {
      throw new Conflict(`The call was canceled (${current.cancelReason ?? 'no longer needed'}) before it was dialed.`);
    }
    const now = deps.clock();
    const { report } = input;
    const call = await tx.call.update({
      where: { id: current.id },
      data: {
        status: report.status,
        endedAt: now,
        dialingAt: current.dialingAt ?? now,
        promotedAt: null,
        durationS: report.duration_s ?? null,
        aiLabel: report.ai_label ?? null,
        aiScore: report.ai_score ?? null,
        summary: report.summary ?? null,
      },
    });
    if (report.ai_label !== undefined && report.ai_score !== undefined) {
      await tx.aiEvaluation.create({
        data: { campaignId: call.campaignId, targetId: call.targetId, callId: call.id, label: report.ai_label, score: report.ai_score },
      });
    }
    const campaign = found.campaign;
    const goesOn = call.round === target.round && campaign.status !== 'done';
    const effects = await progressTarget(tx, {
      campaign,
      target,
      now,
      reachedNow: report.status === 'answered',
      trigger: `call-${call.id}`,
      ...(goesOn ? { continueRound: (tx: Prisma.TransactionClient) => writeNextStep(tx, campaign, target, call, now) } : {}),
    });
    return { call, effects, recorded: true };
  });
  if (recorded) {
    deps.metrics.callOutcomes.inc({ status: call.status });
    deps.logger.info({ call_id: call.id, campaign_id: call.campaignId, status: call.status }, 'call outcome recorded');
  }
  await applyAfterCommit(deps.queues, deps.logger, effects);
  return call;
}

async function writeNextStep(tx: Prisma.TransactionClient, campaign: Campaign, target: Target, call: Call, now: Date) {
  const openedWithWhatsapp =
    (await tx.whatsappMessage.count({ where: { targetId: target.id, round: call.round, kind: 'first' } })) > 0;
  const step = nextStepAfterCall(roundPolicyOf(campaign), {
    roundAttempt: call.roundAttempt,
    outcome: call.status as CallOutcomeReport['status'],
    openedWithWhatsapp,
    hasWhatsapp: target.whatsapp !== null,
  });
  if (step.kind === 'call') {
    const attempt = target.lastAttempt + 1;
    const zone = effectiveZone(target.timezone, campaign.timezone);
    await tx.target.update({ where: { id: target.id }, data: { lastAttempt: attempt } });
    await tx.call.create({
      data: {
        campaignId: campaign.id,
        targetId: target.id,
        round: call.round,
        attempt,
        roundAttempt: step.roundAttempt,
        scheduledFor: addMinutesThenWindow(now, step.delayMinutes, callWindowOf(campaign), zone),
      },
    });
  } else if (step.kind === 'whatsapp_fallback') {
    await tx.whatsappMessage.create({
      data: { campaignId: campaign.id, targetId: target.id, round: call.round, kind: 'fallback', endsRound: true, scheduledFor: now },
    });
  }
}
