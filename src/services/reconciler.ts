import { channels, type Channel } from '../channels.js';
import { unfinishedCommands } from '../db/repositories/commands.js';
import { promotedWaiting, unpromoteLost, type PromotedKey } from '../db/repositories/reconcile.js';
import { recordSettleSwept, settleSweptUntil, workflessCampaignsChanged } from '../db/repositories/settle.js';
import { QueueName } from '../queues/names.js';
import { enqueueLifecycleCommand } from '../queues/queues.js';
import { overdueDeliveries } from '../db/repositories/webhook-events.js';
import { applyAfterCommit, deliveryJobId, enqueueDeliveries } from './after-commit.js';
import { failAbandonedCommands } from './commands.js';
import type { ServiceDeps } from './deps.js';
import { settleCampaigns } from './lifecycle.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics' | 'settings'>;

const COMMAND_BATCH = 100;
/** Campaigns checked for completion per transaction (they are locked together). */
const SETTLE_BATCH = 100;
const PROMOTED_BATCH = 1_000;

/**
 * How long after reading its clock a transaction may still commit, clock differences between
 * processes included: a change stamped this much before the settle sweep's mark may have
 * committed after the sweep read, so the next sweep reads back that far.
 */
const IN_FLIGHT_MS = 60_000;

/** Overdue webhook deliveries checked per pass. */
const DELIVERY_BATCH = 1_000;

/**
 * Finds work that Redis lost and puts it back: promoted rows whose job is missing (Redis came
 * back empty, or evicted it) or failed (its retries ran out while PostgreSQL was down) go back
 * to the hopper, which promotes them again with a new promotion number (the dispatch guard
 * refuses any copy of the old job); accepted lifecycle commands whose job is gone are queued
 * again under the same id, and commands never confirmed queued are failed; campaigns left
 * without work whose completion check was lost are completed; webhook deliveries whose attempt's
 * job is gone are queued again. A pass costs what is promoted,
 * pending or changed, never what merely runs: it walks the promoted waiting rows across
 * campaigns (bounded by each campaign's Redis budget) with one pipelined Redis read per batch,
 * and reads the campaigns changed since the last sweep.
 */
export async function reconcile(
  deps: Deps,
): Promise<{ unpromotedWork: number; requeuedCommands: number; settledCampaigns: number; requeuedDeliveries: number }> {
  const now = deps.clock();
  const before = new Date(now.getTime() - deps.settings.reconcileGraceMs);
  let unpromotedWork = 0;
  for (const channel of channels) unpromotedWork += await giveBackLostWork(deps, channel, before, now);
  // Pending commands whose request never decided (its process died between recording and
  // queueing): nobody was told they were accepted, so they are failed, and a retry of their
  // Idempotency-Key goes ahead.
  const abandonedBefore = new Date(now.getTime() - Math.max(deps.settings.reconcileGraceMs, deps.settings.commandDecisionMs));
  const abandoned = await failAbandonedCommands(deps, abandonedBefore, COMMAND_BATCH);
  if (abandoned > 0) deps.logger.warn({ commands: abandoned }, 'commands recorded but never queued (their request died) were failed');
  const commands = await unfinishedCommands(deps.db.sql, before, COMMAND_BATCH);
  const liveCommands = await deps.queues.liveJobs(
    QueueName.Lifecycle,
    commands.map((command) => command.id),
  );
  const lostCommands = commands.filter((command) => !liveCommands.has(command.id));
  for (const command of lostCommands) {
    await enqueueLifecycleCommand(deps.queues, { command_id: command.id, ...(command.requestId ? { request_id: command.requestId } : {}) });
  }
  if (unpromotedWork > 0) {
    deps.metrics.reconciled.inc({ kind: 'work' }, unpromotedWork);
    deps.logger.warn({ rows: unpromotedWork }, 'jobs missing or failed in Redis: their rows go back to the hopper');
    await applyAfterCommit(deps, { hopperPass: true });
  }
  if (lostCommands.length > 0) {
    deps.metrics.reconciled.inc({ kind: 'command' }, lostCommands.length);
    deps.logger.warn({ commands: lostCommands.length }, 'lifecycle commands whose job Redis lost were queued again');
  }
  // Webhook deliveries due before the grace whose job is gone (Redis lost it, or its process
  // died after it was taken) get their attempt queued again under the same job id.
  const overdue = await overdueDeliveries(deps.db.sql, before, DELIVERY_BATCH);
  const liveDeliveries = await deps.queues.liveJobs(QueueName.Webhooks, overdue.map(deliveryJobId));
  const lostDeliveries = overdue.filter((delivery) => !liveDeliveries.has(deliveryJobId(delivery)));
  await enqueueDeliveries(deps, lostDeliveries, now, now);
  if (lostDeliveries.length > 0) {
    deps.metrics.reconciled.inc({ kind: 'webhook' }, lostDeliveries.length);
    deps.logger.warn({ deliveries: lostDeliveries.length }, 'webhook deliveries whose job Redis lost were queued again');
  }
  const settledCampaigns = await settleLostChecks(deps, before);
  if (settledCampaigns > 0) {
    deps.metrics.reconciled.inc({ kind: 'settle' }, settledCampaigns);
    deps.logger.warn({ campaigns: settledCampaigns }, 'campaigns without work whose completion check was lost were completed');
  }
  return { unpromotedWork, requeuedCommands: lostCommands.length, settledCampaigns, requeuedDeliveries: lostDeliveries.length };
}

/** The channel's promoted rows promoted before `before` whose job Redis lost go back to the hopper, a batch at a time. */
async function giveBackLostWork(deps: Deps, channel: Channel, before: Date, now: Date): Promise<number> {
  let given = 0;
  let after: PromotedKey | null = null;
  for (;;) {
    const rows = await promotedWaiting(deps.db.sql, channel, before, after, PROMOTED_BATCH);
    if (rows.length === 0) return given;
    const running = rows.filter((row) => row.running);
    const live = await deps.queues.liveJobs(
      channel.queue,
      running.map((row) => channel.jobId(row.id, row.promotion)),
    );
    const lost = running.filter((row) => !live.has(channel.jobId(row.id, row.promotion)));
    given += await unpromoteLost(deps.db.sql, channel, lost, now);
    if (rows.length < PROMOTED_BATCH) return given;
    after = rows.at(-1)!;
  }
}

/**
 * The safety net of completion, and why it is built so. A campaign completes through a check
 * queued after the commit that may have left it without work (a target went idle, a rollout ran
 * out); Redis may lose that job, or never take it. Probing every running campaign each pass would
 * cost what runs, mostly idle. Recording each check asked for in PostgreSQL would add a write to
 * every report transaction, on the campaign they all share. But the transactions that can leave a
 * campaign without work already stamp when (`targets.idle_since`, `rollouts.finished_at`, both
 * indexed): the sweep reads the campaigns changed since its mark, back `IN_FLIGHT_MS` for
 * transactions that committed late, and probes those only. The mark is kept in PostgreSQL and
 * moves once the checks before it ran, here rather than through Redis, so no outage, however
 * long, makes the sweep skip a change, where a look-back from now would forget the older ones.
 * It runs with the reconciler rather than every hopper pass: the queued checks are the fast path,
 * and each sweep reads its look-back again. Changes younger than the grace (`before`) are left to
 * their own check, as promoted rows are.
 */
async function settleLostChecks(deps: Deps, before: Date): Promise<number> {
  const mark = await settleSweptUntil(deps.db.sql);
  const from = mark && new Date(mark.getTime() - IN_FLIGHT_MS);
  let completed = 0;
  const candidates = await workflessCampaignsChanged(deps.db.sql, from, before);
  for (let offset = 0; offset < candidates.length; offset += SETTLE_BATCH) {
    for (const answer of await settleCampaigns(deps, candidates.slice(offset, offset + SETTLE_BATCH))) {
      // The mark must not move past a check that failed: the reconciler's next run tries again.
      if (answer instanceof Error) throw answer;
      if (answer.completed) completed += 1;
    }
  }
  await recordSettleSwept(deps.db.sql, before);
  return completed;
}
