import { appendCampaignEvent } from '../db/repositories/campaign-events.js';
import { findCampaignById, transitionCampaign, type Campaign } from '../db/repositories/campaigns.js';
import { lockCampaign } from '../db/locks.js';
import { failCommand, findCommandById, finishCommand, markCommandRunning } from '../db/repositories/commands.js';
import { wakeCampaign } from '../db/repositories/hopper.js';
import { activeRollouts, createRollout, finishRollouts } from '../db/repositories/rollouts.js';
import { cancelWaiting, campaignHasPending, refreshCampaignPending, unpromoteCampaign } from '../db/repositories/work.js';
import type { Db } from '../db/sql.js';
import { InvalidData } from '../domain/errors.js';
import { decideLifecycle, lifecycleEffect, type CampaignStatus, type LifecycleCommand, type ResumeSegment } from '../domain/lifecycle.js';
import { applyAfterCommit, type AfterCommit } from './after-commit.js';
import { resultOf, storedResultOf, type CommandResult, type ResumeCounts } from './command-results.js';
import { awaitCommandDecision, resumeParamsOf, type Command } from './commands.js';
import type { ServiceDeps } from './deps.js';
import { countSegment } from './rollouts.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'settings'>;

interface Applied {
  effects: AfterCommit;
  resume?: ResumeCounts;
}

/**
 * Changes the status and records what goes with it. Rounds are not opened here: a start or
 * resume records a rollout that the hopper runs in small batches, so a command on a campaign
 * of a million targets commits in milliseconds and holds no lock for long.
 */
async function applyTransition(tx: Db, deps: Deps, command: Command, campaign: Campaign, to: CampaignStatus): Promise<Applied> {
  const now = deps.clock();
  if (!(await transitionCampaign(tx, campaign.id, campaign.status, to, now))) {
    // Unreachable while the row lock is held; failing loudly beats recording a false transition.
    throw new Error(`campaign ${campaign.id} changed status under its row lock`);
  }
  const rollout = (kind: 'start' | 'resume', segment: ResumeSegment | null) =>
    createRollout(tx, { campaignId: campaign.id, commandId: command.id, kind, segment, createdAt: now });
  const started = { hopperPass: true, settle: [campaign.id] };
  switch (lifecycleEffect(command.name as LifecycleCommand, campaign.status, to)) {
    case 'open_rounds':
      await rollout('start', null);
      return { effects: started };
    case 'resume_pending':
      // The rows the pause gave back wait unchanged: nothing else wakes the hopper for them.
      await wakeCampaign(tx, campaign.id, now);
      // Targets added while paused get their first round too.
      if (!(await activeRollouts(tx, campaign.id)).some((active) => active.kind === 'start')) await rollout('start', null);
      return { effects: started };
    case 'open_segment_rounds': {
      const { segment } = resumeParamsOf(command);
      const counts = await countSegment(tx, campaign, segment);
      await wakeCampaign(tx, campaign.id, now);
      await rollout('resume', segment);
      deps.logger.info({ campaign_id: campaign.id, segment, ...counts }, 'segment resumed');
      return { effects: started, resume: { segment, ...counts } };
    }
    case 'withdraw_promoted':
      return { effects: { withdraw: await unpromoteCampaign(tx, campaign.id, now) } };
    case 'cancel_pending': {
      const withdraw = await cancelWaiting(tx, { campaign: campaign.id }, 'campaign_completed', now);
      await refreshCampaignPending(tx, campaign.id, now);
      await finishRollouts(tx, campaign.id, now);
      return { effects: { withdraw } };
    }
    case 'none':
      return { effects: {} };
  }
}

/**
 * Applies one lifecycle command inside a transaction that locks the campaign row, so
 * concurrent commands on a campaign run one after the other. The status change, what goes with
 * it, the event row and the command's result commit together; Redis follows after commit.
 * Replaying a finished command returns the recorded result and changes nothing. A command that
 * failed before it was confirmed queued (its request answered 503, though Redis took its job
 * late) is not applied: its result is null.
 */
export async function runLifecycleCommand(deps: Deps, commandId: string): Promise<{ command: LifecycleCommand; result: CommandResult | null }> {
  const { db, logger } = deps;
  // The job may be here before its request has recorded that Redis took it.
  const decided = await awaitCommandDecision(deps, commandId);
  if (!decided) throw new InvalidData(`command ${commandId} does not exist`);
  if (decided.status === 'failed') {
    logger.info({ command_id: commandId, campaign_id: decided.campaignId }, 'command not applied: it failed before its job was confirmed queued');
    return { command: decided.name as LifecycleCommand, result: null };
  }
  await markCommandRunning(db.sql, commandId);
  const { command, result, effects } = await db.sql.transaction(async (tx) => {
    const queued = await findCommandById(tx, commandId);
    if (!queued) throw new InvalidData(`command ${commandId} does not exist`);
    // The campaign lock serialises every command of the campaign, replays of this one included.
    const campaign = await lockCampaign(tx, queued.campaignId, 'exclusive');
    const command = (await findCommandById(tx, commandId))!;
    const name = command.name as LifecycleCommand;
    const recorded = resultOf(command);
    if (recorded) return { command: name, result: recorded, effects: {} };

    const finish = async (result: CommandResult, effects: AfterCommit = {}) => {
      await finishCommand(tx, command.id, storedResultOf(result), deps.clock());
      return { command: name, result, effects };
    };
    if (!campaign) return finish({ ok: false, kind: 'not_found', detail: 'Campaign not found.' });

    const decision = decideLifecycle(campaign.status, name);
    if (decision.kind === 'rejected') {
      const { kind, detail } = decision.error;
      logger.info({ campaign_id: campaign.id, command: name, status: campaign.status, detail }, 'command rejected');
      return finish({ ok: false, kind, detail });
    }
    const to = decision.kind === 'transition' ? decision.to : decision.status;
    const applied: Applied = decision.kind === 'transition' ? await applyTransition(tx, deps, command, campaign, to) : { effects: {} };
    await appendCampaignEvent(tx, {
      campaignId: campaign.id,
      command: name,
      fromStatus: campaign.status,
      toStatus: to,
      actor: command.actor,
      requestId: command.requestId,
      commandId: command.id,
      createdAt: deps.clock(),
    });
    logger.info({ campaign_id: campaign.id, command: name, from: campaign.status, to, changed: decision.kind === 'transition' }, 'command applied');
    const updated = (await findCampaignById(tx, campaign.id))!;
    return finish({ ok: true, campaign: updated, ...(applied.resume ? { resume: applied.resume } : {}) }, applied.effects);
  });
  await applyAfterCommit(deps, effects);
  return { command, result };
}

/** A running campaign in which no target has work left and no rollout still opens rounds moves to done by itself. */
export async function settleCampaign(deps: Deps, campaignId: string): Promise<{ completed: boolean }> {
  const completed = await deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, campaignId, 'exclusive');
    if (campaign?.status !== 'running') return false;
    if ((await campaignHasPending(tx, campaignId)) || (await activeRollouts(tx, campaignId)).length > 0) return false;
    const now = deps.clock();
    await transitionCampaign(tx, campaignId, 'running', 'done', now);
    await appendCampaignEvent(tx, { campaignId, command: 'auto_complete', fromStatus: 'running', toStatus: 'done', actor: 'system', createdAt: now });
    return true;
  });
  if (completed) deps.logger.info({ campaign_id: campaignId }, 'campaign completed by itself: no work left');
  return { completed };
}

/** The worker gave up on a command (a final failure): it changed nothing, and its row says so. */
export async function markCommandFailed(deps: Pick<Deps, 'db' | 'clock'>, commandId: string): Promise<void> {
  await failCommand(deps.db.sql, commandId, deps.clock());
}
