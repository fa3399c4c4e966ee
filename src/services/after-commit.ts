import type { PromotedRow } from '../db/repositories/contacts.js';
import type { Logger } from '../logger.js';
import { JobName, QueueName } from '../queues/names.js';
import { callJobId, whatsappJobId, type Queues } from '../queues/queues.js';

/**
 * What a transaction asks of Redis once it has committed (the rows are the outbox): jobs to
 * withdraw, a hopper pass to run now, a campaign to check for completion. Losing this after a
 * crash is safe: withdrawn rows are guarded at dispatch, the hopper runs every few seconds.
 */
export interface AfterCommit {
  withdraw?: { calls: PromotedRow[]; messages: PromotedRow[] };
  promoteNow?: boolean;
  settleCampaign?: { campaignId: string; trigger: string };
}

export async function applyAfterCommit(queues: Queues, logger: Logger, effects: AfterCommit): Promise<void> {
  try {
    if (effects.withdraw) {
      const { calls, messages } = effects.withdraw;
      await queues.remove(QueueName.Calls, calls.map((row) => callJobId(row.id, row.promotion)));
      await queues.remove(QueueName.Whatsapp, messages.map((row) => whatsappJobId(row.id, row.promotion)));
    }
    if (effects.promoteNow) {
      await queues.add(JobName.HopperTick, { data: {}, jobId: `promote-now-${Date.now()}` });
    }
    if (effects.settleCampaign) await enqueueSettle(queues, effects.settleCampaign.campaignId, effects.settleCampaign.trigger);
  } catch (error) {
    logger.warn({ err: error }, 'post-commit work failed; the periodic hopper and the dispatch guard cover it');
  }
}

/**
 * Queues a completion check of the campaign. One check waiting per campaign is enough (it reads
 * the state when it runs); a trigger dropped while a check is already running is covered by the
 * hopper's periodic sweep.
 */
export async function enqueueSettle(queues: Queues, campaignId: string, trigger: string): Promise<void> {
  await queues.add(
    JobName.SettleCampaign,
    { data: { campaign_id: campaignId }, jobId: `settle-${campaignId}-${trigger}` },
    { deduplication: { id: `settle-${campaignId}` } },
  );
}
