import { channels } from '../channels.js';
import { runningCampaignIds } from '../db/repositories/campaigns.js';
import { unfinishedCommands } from '../db/repositories/commands.js';
import { promotedWaiting, unpromoteLost } from '../db/repositories/reconcile.js';
import { QueueName } from '../queues/names.js';
import { enqueueLifecycleCommand } from '../queues/queues.js';
import { applyAfterCommit } from './after-commit.js';
import { failAbandonedCommands } from './commands.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'metrics' | 'settings'>;

const COMMAND_BATCH = 100;

/**
 * Finds work that Redis lost and puts it back: promoted rows whose job is missing (Redis came
 * back empty, or evicted it) or failed (its retries ran out while PostgreSQL was down) go back
 * to the hopper, which promotes them again with a new promotion number (the dispatch guard
 * refuses any copy of the old job); accepted lifecycle commands whose job is gone are queued
 * again under the same id, and commands never confirmed queued are failed. Cheap and
 * set-based: one read of each running campaign's promoted rows (bounded by its Redis budget)
 * and one pipelined Redis read per batch.
 */
export async function reconcile(deps: Deps): Promise<{ unpromotedWork: number; requeuedCommands: number }> {
  const now = deps.clock();
  const before = new Date(now.getTime() - deps.settings.reconcileGraceMs);
  let unpromotedWork = 0;
  for (const campaignId of await runningCampaignIds(deps.db.sql)) {
    for (const channel of channels) {
      const rows = await promotedWaiting(deps.db.sql, channel, campaignId, before);
      if (rows.length === 0) continue;
      const live = await deps.queues.liveJobs(
        channel.queue,
        rows.map((row) => channel.jobId(row.id, row.promotion)),
      );
      const lost = rows.filter((row) => !live.has(channel.jobId(row.id, row.promotion)));
      unpromotedWork += await unpromoteLost(deps.db.sql, channel, lost, now);
    }
  }
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
  return { unpromotedWork, requeuedCommands: lostCommands.length };
}
