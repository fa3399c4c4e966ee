import type { Prisma } from '../generated/prisma/client.js';
import type { Campaign } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { appendCampaignEvent } from '../db/repositories/campaign-events.js';
import { lockCampaign, transitionCampaign } from '../db/repositories/campaigns.js';
import { findCommandById, finishCommand, markCommandRunning, writeCommandProgress, type Command, type CommandResult } from '../db/repositories/commands.js';
import { cancelPending, hasPendingWork, unpromoteCampaign } from '../db/repositories/contacts.js';
import { inSegment, neverStarted, type OpenRoundsCounts } from '../db/repositories/rounds.js';
import { PermanentFailure } from '../domain/errors.js';
import { decideLifecycle, lifecycleEffect, type CampaignStatus, type LifecycleCommand } from '../domain/lifecycle.js';
import type { Logger } from '../logger.js';
import type { Queues } from '../queues/queues.js';
import { applyAfterCommit, type AfterCommit } from './after-commit.js';
import { ResumeParams } from './commands.js';
import type { Clock } from './clock.js';
import { openRoundsFor } from './rounds.js';
import { campaignOut } from './views.js';

export interface LifecycleDeps {
  db: Db;
  queues: Queues;
  clock: Clock;
  logger: Logger;
}

interface Applied {
  effects: AfterCommit;
  /** The response body, when the command answers more than the campaign. */
  body?: (campaign: Campaign) => Prisma.InputJsonObject;
}

/** Changes the status and writes the contact work that goes with it; returns the Redis side. */
async function applyTransition(
  tx: Prisma.TransactionClient,
  deps: LifecycleDeps,
  command: Command,
  campaign: Campaign,
  to: CampaignStatus,
): Promise<Applied> {
  if (!(await transitionCampaign(tx, campaign.id, campaign.status, to))) {
    // Unreachable while the row lock is held; failing loudly beats recording a false transition.
    throw new Error(`campaign ${campaign.id} changed status under its row lock`);
  }
  const settle = { campaignId: campaign.id, trigger: command.id };
  const name = command.name as LifecycleCommand;
  switch (lifecycleEffect(name, campaign.status, to)) {
    case 'open_rounds': {
      const counts = await openRoundsFor(tx, campaign, neverStarted, deps.clock());
      deps.logger.info({ campaign_id: campaign.id, ...counts }, 'first rounds opened');
      return { effects: { promoteNow: true, settleCampaign: settle } };
    }
    case 'open_segment_rounds': {
      const { segment } = ResumeParams.parse(command.params);
      const counts = await openRoundsFor(tx, campaign, inSegment(segment), deps.clock(), (totals) =>
        reportProgress(deps, command.id, campaign.id, totals),
      );
      deps.logger.info({ campaign_id: campaign.id, segment, ...counts }, 'segment resumed');
      return {
        effects: { promoteNow: true, settleCampaign: settle },
        body: (updated) => ({
          campaign: { ...campaignOut(updated) },
          segment,
          selected_targets: counts.selected,
          scheduled_calls: counts.scheduledCalls,
          queued_whatsapp: counts.queuedWhatsapp,
          skipped_existing_pending: counts.skippedExistingPending,
          skipped_missing_contact: counts.skippedMissingContact,
        }),
      };
    }
    case 'resume_pending':
      return { effects: { promoteNow: true, settleCampaign: settle } };
    case 'withdraw_promoted':
      return { effects: { withdraw: await unpromoteCampaign(tx, campaign.id) } };
    case 'cancel_pending':
      return { effects: { withdraw: await cancelPending(tx, 'campaign', campaign.id, 'campaign_completed') } };
    case 'none':
      return { effects: {} };
  }
}

/** Progress of a long round opening, outside its transaction so pollers see it. */
async function reportProgress(deps: LifecycleDeps, commandId: string, campaignId: string, totals: OpenRoundsCounts) {
  deps.logger.info({ campaign_id: campaignId, command_id: commandId, ...totals }, 'resume progress');
  await writeCommandProgress(deps.db, commandId, { ...totals });
}

/**
 * Applies one lifecycle command inside a transaction that locks the campaign row, so
 * concurrent commands on a campaign run one after the other. The status change, the contact
 * work it implies, the event row and the command's result commit together; Redis follows
 * after commit. Replaying a finished command returns the recorded result and changes nothing.
 */
export async function runLifecycleCommand(
  deps: LifecycleDeps,
  commandId: string,
): Promise<{ command: LifecycleCommand; result: CommandResult }> {
  const { db, logger } = deps;
  await markCommandRunning(db, commandId);
  const { command, result, effects } = await db.$transaction(
    async (tx) => {
      const queued = await findCommandById(tx, commandId);
      if (!queued) throw new PermanentFailure(`command ${commandId} does not exist`);
      // The campaign lock serialises every command of the campaign, replays of this one included;
      // the command row itself stays unlocked so progress can be written beside this transaction.
      const campaign = await lockCampaign(tx, queued.campaignId);
      const command = (await findCommandById(tx, commandId))!;
      const name = command.name as LifecycleCommand;
      if (command.result) return { command: name, result: command.result as CommandResult, effects: {} };

      const finish = async (result: CommandResult, effects: AfterCommit = {}) => {
        await finishCommand(tx, command.id, result);
        return { command: name, result, effects };
      };

      if (!campaign) return finish({ ok: false, kind: 'not_found', detail: 'Campaign not found.' });

      const decision = decideLifecycle(campaign.status, name);
      if (decision.outcome === 'rejected') {
        const { kind, detail } = decision.error;
        logger.info({ campaign_id: campaign.id, command: name, status: campaign.status, detail }, 'command rejected');
        return finish({ ok: false, kind, detail });
      }

      const to = decision.outcome === 'transition' ? decision.to : decision.status;
      const applied: Applied = decision.outcome === 'transition' ? await applyTransition(tx, deps, command, campaign, to) : { effects: {} };
      await appendCampaignEvent(tx, {
        campaignId: campaign.id,
        command: name,
        fromStatus: campaign.status,
        toStatus: to,
        actor: command.actor,
        requestId: command.requestId,
        commandId: command.id,
      });
      const updated = await tx.campaign.findUniqueOrThrow({ where: { id: campaign.id } });
      logger.info(
        { campaign_id: campaign.id, command: name, from: campaign.status, to, changed: decision.outcome === 'transition' },
        'command applied',
      );
      return finish({ ok: true, body: applied.body?.(updated) ?? { ...campaignOut(updated) } }, applied.effects);
    },
    { timeout: 10 * 60_000, maxWait: 10_000 },
  );
  await applyAfterCommit(deps.queues, logger, effects);
  return { command, result };
}

/** A running campaign in which no target has work left moves to done by itself. */
export async function settleCampaign(deps: LifecycleDeps, campaignId: string): Promise<{ completed: boolean }> {
  const completed = await deps.db.$transaction(async (tx) => {
    const campaign = await lockCampaign(tx, campaignId);
    if (campaign?.status !== 'running' || (await hasPendingWork(tx, 'campaign', campaignId))) return false;
    await transitionCampaign(tx, campaignId, 'running', 'done');
    await appendCampaignEvent(tx, { campaignId, command: 'auto_complete', fromStatus: 'running', toStatus: 'done', actor: 'system' });
    return true;
  });
  if (completed) deps.logger.info({ campaign_id: campaignId }, 'campaign completed by itself: no work left');
  return { completed };
}
