import { appendCampaignEvents, type NewCampaignEvent } from '../db/repositories/campaign-events.js';
import { campaignsPastEnd, findCampaignsByIds, transitionCampaigns, type Campaign } from '../db/repositories/campaigns.js';
import { lockCampaignsExclusively } from '../db/locks.js';
import { failCommand, findCommandsByIds, finishCommands, markCommandsRunning } from '../db/repositories/commands.js';
import { wakeCampaign } from '../db/repositories/hopper.js';
import { campaignsWithActiveRollout, createRollouts, finishRollouts, type NewRollout } from '../db/repositories/rollouts.js';
import { campaignsWithPending, cancelWaiting, refreshCampaignPending, unpromoteCampaign } from '../db/repositories/work.js';
import type { Db } from '../db/sql.js';
import { InvalidData } from '../domain/errors.js';
import { decideLifecycle, lifecycleEffect, type CampaignStatus, type LifecycleCommand } from '../domain/lifecycle.js';
import { isPastEnd } from '../domain/schedule.js';
import { statusChangeEvents } from '../domain/webhook-events.js';
import { appendWebhookEvents } from '../db/repositories/webhook-events.js';
import { applyAfterCommit, mergeEffects, type AfterCommit } from './after-commit.js';
import { createBatcher, togetherOrAlone } from './batcher.js';
import { resultOf, storedResultOf, type CommandResult, type ResumeCounts } from './command-results.js';
import { awaitCommandDecision, resumeParamsOf, type Command } from './commands.js';
import type { ServiceDeps } from './deps.js';
import { countSegment } from './rollouts.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'settings'>;

export interface AppliedCommand {
  command: LifecycleCommand;
  /** Null: the command failed before its job was confirmed queued, and was not applied. */
  result: CommandResult | null;
}

/** Commands applied together log for each one what its job's lines carry. */
const logFields = (command: Command) => ({
  command_id: command.id,
  request_id: command.requestId,
  campaign_id: command.campaignId,
  command: command.name,
});

/** A command that changes its campaign's status, and what goes with the change. */
interface Move {
  command: Command;
  campaign: Campaign;
  to: CampaignStatus;
}

/**
 * Rounds are not opened here: a start or resume records a rollout that the hopper runs in small
 * batches, so a command on a campaign of a million targets commits in milliseconds and holds no
 * lock for long. The rollout's hopper pass settles the campaign once it has opened every round.
 */
const STARTED: AfterCommit = { hopperPass: true };

/**
 * What each move does besides its status: rollouts to record (written together by the caller),
 * jobs to withdraw, a resume's counts. Pending work is canceled or unpromoted campaign by
 * campaign: those touch the campaign's rows.
 */
async function applyMoves(tx: Db, deps: Deps, moves: readonly Move[], now: Date) {
  const rollouts: NewRollout[] = [];
  const effects: AfterCommit[] = [];
  const resumes = new Map<string, ResumeCounts>();
  const effectOf = (move: Move) => lifecycleEffect(move.command.name as LifecycleCommand, move.campaign.status, move.to);
  // A start after a pause opens rounds for targets added while paused, unless a start rollout still runs.
  const startRolling = await campaignsWithActiveRollout(
    tx,
    moves.filter((move) => effectOf(move) === 'resume_pending').map((move) => move.campaign.id),
    'start',
  );
  const rollout = (move: Move, kind: NewRollout['kind'], segment: NewRollout['segment']) =>
    rollouts.push({ campaignId: move.campaign.id, commandId: move.command.id, kind, segment, createdAt: now });
  for (const move of moves) {
    const { campaign } = move;
    switch (effectOf(move)) {
      case 'open_rounds':
        rollout(move, 'start', null);
        effects.push(STARTED);
        break;
      case 'resume_pending':
        // The rows the pause gave back wait unchanged: nothing else wakes the hopper for them.
        await wakeCampaign(tx, campaign.id, now);
        if (!startRolling.has(campaign.id)) rollout(move, 'start', null);
        effects.push(STARTED);
        break;
      case 'open_segment_rounds': {
        const { segment } = resumeParamsOf(move.command);
        const counts = await countSegment(tx, campaign, segment);
        await wakeCampaign(tx, campaign.id, now);
        rollout(move, 'resume', segment);
        deps.logger.info({ ...logFields(move.command), segment, ...counts }, 'segment resumed');
        resumes.set(move.command.id, { segment, ...counts });
        effects.push(STARTED);
        break;
      }
      case 'withdraw_promoted':
        effects.push({ withdraw: await unpromoteCampaign(tx, campaign.id, now) });
        break;
      case 'cancel_pending':
        effects.push(await cancelCampaignWork(tx, campaign.id, now));
        break;
      case 'none':
        break;
    }
  }
  await createRollouts(tx, rollouts);
  return { effects, resumes };
}

/** Webhook events of a campaign the system moved to done by itself. */
const systemMoveEvents = (campaign: Campaign, command: string, reason: string) =>
  statusChangeEvents({ organizationId: campaign.organizationId, campaignId: campaign.id, from: campaign.status, to: 'done', command, actor: 'system', reason });

/** A campaign completes: its pending calls and messages are canceled, its rollouts finished, its jobs withdrawn after commit. */
async function cancelCampaignWork(tx: Db, campaignId: string, now: Date): Promise<AfterCommit> {
  const withdraw = await cancelWaiting(tx, { campaign: campaignId }, 'campaign_completed', now);
  await refreshCampaignPending(tx, campaignId, now);
  await finishRollouts(tx, campaignId, now);
  return { withdraw };
}

/**
 * One wave: at most one command per campaign, each decided on its campaign as the waves before
 * left it. Status changes, rollouts, events and results are each written with one statement
 * for the whole wave.
 */
async function applyWave(tx: Db, deps: Deps, wave: readonly Command[], campaigns: Map<string, Campaign>, applied: Map<string, AppliedCommand>) {
  const { logger } = deps;
  const now = deps.clock();
  const finished: Array<{ command: Command; result: CommandResult }> = [];
  const moves: Move[] = [];
  const events: NewCampaignEvent[] = [];
  const accepted: Command[] = [];
  for (const command of wave) {
    const name = command.name as LifecycleCommand;
    const recorded = resultOf(command);
    if (recorded) {
      applied.set(command.id, { command: name, result: recorded });
      continue;
    }
    const campaign = campaigns.get(command.campaignId);
    if (!campaign) {
      finished.push({ command, result: { ok: false, kind: 'not_found', detail: 'Campaign not found.' } });
      continue;
    }
    const decision = decideLifecycle(campaign.status, name);
    if (decision.kind === 'rejected') {
      const { kind, detail } = decision.error;
      logger.info({ ...logFields(command), status: campaign.status, detail }, 'command rejected');
      finished.push({ command, result: { ok: false, kind, detail } });
      continue;
    }
    const to = decision.kind === 'transition' ? decision.to : decision.status;
    if (decision.kind === 'transition') moves.push({ command, campaign, to });
    events.push({
      campaignId: campaign.id,
      command: name,
      fromStatus: campaign.status,
      toStatus: to,
      actor: command.actor,
      requestId: command.requestId,
      commandId: command.id,
      createdAt: now,
    });
    accepted.push(command);
    logger.info({ ...logFields(command), from: campaign.status, to, changed: decision.kind === 'transition' }, 'command applied');
  }
  const changes = moves.map((move) => ({ id: move.campaign.id, from: move.campaign.status, to: move.to }));
  if ((await transitionCampaigns(tx, changes, now)) !== changes.length) {
    // Unreachable while the row locks are held; failing loudly beats recording a false transition.
    throw new Error(`a campaign among ${changes.map((change) => change.id).join(', ')} changed status under its row lock`);
  }
  const { effects, resumes } = await applyMoves(tx, deps, moves, now);
  await appendCampaignEvents(tx, events);
  const webhooks = await appendWebhookEvents(
    tx,
    moves.flatMap((move) =>
      statusChangeEvents({
        organizationId: move.campaign.organizationId,
        campaignId: move.campaign.id,
        from: move.campaign.status,
        to: move.to,
        command: move.command.name,
        actor: move.command.actor,
        reason: null,
      }),
    ),
    now,
  );
  effects.push({ webhooks });
  const updated = await findCampaignsByIds(
    tx,
    accepted.map((command) => command.campaignId),
  );
  for (const command of accepted) {
    const campaign = updated.get(command.campaignId)!;
    campaigns.set(campaign.id, campaign);
    const resume = resumes.get(command.id);
    finished.push({ command, result: { ok: true, campaign, ...(resume ? { resume } : {}) } });
  }
  await finishCommands(
    tx,
    finished.map(({ command, result }) => ({ id: command.id, result: storedResultOf(result) })),
    now,
  );
  for (const { command, result } of finished) applied.set(command.id, { command: command.name as LifecycleCommand, result });
  return effects;
}

/**
 * Applies decided (queued) commands in one transaction that locks their campaigns, so
 * concurrent commands on a campaign run one after the other. Each status change, what goes with
 * it, the event row and the command's result commit together; Redis follows after commit.
 * A command that already has a result (a replay) returns it and changes nothing. Commands of
 * one campaign apply in the order given, one wave after the other.
 */
async function applyTogether(deps: Deps, decided: readonly Command[]): Promise<Map<string, AppliedCommand>> {
  const ids = [...new Set(decided.map((command) => command.id))];
  // Marked running beside the transaction rather than before it: the mark tells whoever polls
  // that a worker has the command while the transaction waits (for a campaign's lock, say), and
  // its commit need not delay the answer.
  const marking = markCommandsRunning(deps.db.sql, ids);
  const applying = deps.db.sql.transaction(async (tx) => {
    // A command's campaign never changes: the rows read before tell which campaigns to lock.
    const campaigns = await lockCampaignsExclusively(
      tx,
      decided.map((command) => command.campaignId),
    );
    // Read again under the locks: a replay of a command may have finished it meanwhile.
    const current = new Map((await findCommandsByIds(tx, ids)).map((command) => [command.id, command]));
    const missing = ids.find((id) => !current.has(id));
    if (missing) throw new InvalidData(`command ${missing} does not exist`);
    const applied = new Map<string, AppliedCommand>();
    const effects: AfterCommit[] = [];
    for (let pending = ids.map((id) => current.get(id)!); pending.length > 0;) {
      const seen = new Set<string>();
      const wave = pending.filter((command) => !seen.has(command.campaignId) && seen.add(command.campaignId));
      const inWave = new Set(wave);
      pending = pending.filter((command) => !inWave.has(command));
      effects.push(...(await applyWave(tx, deps, wave, campaigns, applied)));
    }
    return { applied, effects: mergeEffects(...effects) };
  });
  const [marked, done] = await Promise.allSettled([marking, applying]);
  if (done.status === 'rejected') throw done.reason;
  if (marked.status === 'rejected') deps.logger.warn({ err: marked.reason, command_ids: ids }, 'could not mark commands running; they were applied');
  const { applied, effects } = done.value;
  await applyAfterCommit(deps, effects);
  return applied;
}

/** Applies decided commands together (group commit); each gets its own answer. */
export function applyLifecycleCommands(deps: Deps, decided: readonly Command[]): Promise<Array<AppliedCommand | Error>> {
  return togetherOrAlone(decided, async (commands) => {
    const applied = await applyTogether(deps, commands);
    return commands.map((command) => applied.get(command.id)!);
  });
}

/** One command at a time for the lifecycle worker's jobs, applied together underneath (group commit). */
export function createLifecycleApplier(deps: Deps, options = { maxBatchSize: 100, maxInFlight: 4 }) {
  return createBatcher<Command, AppliedCommand>((decided) => applyLifecycleCommands(deps, decided), options);
}

const applyAlone = (deps: Deps) => async (decided: Command) => {
  const [applied] = await applyLifecycleCommands(deps, [decided]);
  if (applied instanceof Error) throw applied;
  return applied!;
};

/**
 * Runs one lifecycle command: waits until its request decided it (the job may be here before
 * its request has recorded that Redis took it), then applies it with `apply` (alone, unless the
 * caller groups commands). A command that failed before it was confirmed queued (its request
 * answered 503, though Redis took its job late) is not applied: its result is null.
 */
export async function runLifecycleCommand(
  deps: Deps,
  commandId: string,
  apply: (decided: Command) => Promise<AppliedCommand> = applyAlone(deps),
): Promise<AppliedCommand> {
  const decided = await awaitCommandDecision(deps, commandId);
  if (!decided) throw new InvalidData(`command ${commandId} does not exist`);
  if (decided.status === 'failed') {
    deps.logger.info({ command_id: commandId, campaign_id: decided.campaignId }, 'command not applied: it failed before its job was confirmed queued');
    return { command: decided.name as LifecycleCommand, result: null };
  }
  return apply(decided);
}

/**
 * Running campaigns in which no target has work left and no rollout still opens rounds move to
 * done by themselves. The campaigns are checked together, in one transaction that locks them.
 */
async function settleTogether(deps: Deps, campaignIds: readonly string[]): Promise<Set<string>> {
  const { completed, webhooks } = await deps.db.sql.transaction(async (tx) => {
    const campaigns = await lockCampaignsExclusively(tx, campaignIds);
    const running = [...campaigns.values()].filter((campaign) => campaign.status === 'running').map((campaign) => campaign.id);
    const busy = new Set([...(await campaignsWithPending(tx, running)), ...(await campaignsWithActiveRollout(tx, running))]);
    const idle = running.filter((id) => !busy.has(id));
    const now = deps.clock();
    await transitionCampaigns(
      tx,
      idle.map((id) => ({ id, from: 'running' as const, to: 'done' as const })),
      now,
    );
    await appendCampaignEvents(
      tx,
      idle.map((campaignId) => ({
        campaignId,
        command: 'auto_complete',
        fromStatus: 'running',
        toStatus: 'done',
        actor: 'system',
        reason: 'no_work_left',
        createdAt: now,
      })),
    );
    const webhooks = await appendWebhookEvents(
      tx,
      idle.flatMap((campaignId) => systemMoveEvents(campaigns.get(campaignId)!, 'auto_complete', 'no_work_left')),
      now,
    );
    return { completed: new Set(idle), webhooks };
  });
  await applyAfterCommit(deps, { webhooks });
  for (const campaignId of completed) deps.logger.info({ campaign_id: campaignId }, 'campaign completed by itself: no work left');
  return completed;
}

/** Campaigns ended per transaction by their schedule. */
const ENDING_BATCH = 100;

/**
 * Running and paused campaigns whose `ends_at` has come complete by themselves, as a complete
 * command would (pending work canceled, jobs withdrawn after commit), with an event of actor
 * `system` and reason `ends_at`. Checked again under the campaigns' locks: one PATCHed or
 * completed meanwhile is left alone. Returns how many ended.
 */
export async function endCampaignsPastEnd(deps: Deps & Pick<ServiceDeps, 'metrics'>): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await campaignsPastEnd(deps.db.sql, deps.clock(), ENDING_BATCH);
    if (ids.length === 0) return total;
    const { ended, effects } = await deps.db.sql.transaction(async (tx) => {
      const campaigns = await lockCampaignsExclusively(tx, ids);
      const now = deps.clock();
      const ending = [...campaigns.values()].filter((campaign) => (campaign.status === 'running' || campaign.status === 'paused') && isPastEnd(campaign, now));
      await transitionCampaigns(
        tx,
        ending.map((campaign) => ({ id: campaign.id, from: campaign.status, to: 'done' as const })),
        now,
      );
      const effects: AfterCommit[] = [];
      for (const campaign of ending) effects.push(await cancelCampaignWork(tx, campaign.id, now));
      await appendCampaignEvents(
        tx,
        ending.map((campaign) => ({
          campaignId: campaign.id,
          command: 'scheduled_end',
          fromStatus: campaign.status,
          toStatus: 'done',
          actor: 'system',
          reason: 'ends_at',
          createdAt: now,
        })),
      );
      const webhooks = await appendWebhookEvents(
        tx,
        ending.flatMap((campaign) => systemMoveEvents(campaign, 'scheduled_end', 'ends_at')),
        now,
      );
      return { ended: ending, effects: mergeEffects(...effects, { webhooks }) };
    });
    await applyAfterCommit(deps, effects);
    for (const campaign of ended) {
      deps.logger.info({ campaign_id: campaign.id, from: campaign.status, ends_at: campaign.endsAt }, 'campaign completed by itself: its ends_at came');
    }
    deps.metrics.scheduledEnds.inc(ended.length);
    total += ended.length;
    // Every campaign read was ended or changed under its lock: a shorter read means none is left.
    if (ids.length < ENDING_BATCH) return total;
  }
}

/** Completion checks of several campaigns: together, or one by one when the group fails (each answer an error or not). */
export function settleCampaigns(deps: Deps, campaignIds: readonly string[]): Promise<Array<{ completed: boolean } | Error>> {
  return togetherOrAlone(campaignIds, async (ids) => {
    const completed = await settleTogether(deps, ids);
    return ids.map((id) => ({ completed: completed.has(id.toLowerCase()) }));
  });
}

/** Completion checks one campaign at a time for the lifecycle worker's jobs, made together underneath. */
export function createSettler(deps: Deps, options = { maxBatchSize: 100, maxInFlight: 2 }) {
  return createBatcher<string, { completed: boolean }>((campaignIds) => settleCampaigns(deps, campaignIds), options);
}

/** The worker gave up on a command (a final failure): it changed nothing, and its row says so. */
export async function markCommandFailed(deps: Pick<Deps, 'db' | 'clock'>, commandId: string): Promise<void> {
  await failCommand(deps.db.sql, commandId, deps.clock());
}
