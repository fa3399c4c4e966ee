import { channelNamed } from '../channels.js';
import { campaignsWithPending, type PromotedWork } from '../db/repositories/work.js';
import type { DeliveryRef } from '../db/repositories/webhook-events.js';
import { JobName } from '../queues/names.js';
import type { ServiceDeps } from './deps.js';

/**
 * What a transaction asks of Redis once it has committed (the rows are the outbox): jobs to
 * withdraw, a hopper pass to run soon, campaigns to check for completion. Losing this after a
 * crash is safe: withdrawn rows are guarded at dispatch, the reconciler finds lost jobs and
 * completes the campaigns whose check was lost, the hopper runs every few seconds.
 */
export interface AfterCommit {
  withdraw?: PromotedWork[];
  hopperPass?: boolean;
  settle?: string[];
  /** Webhook deliveries to queue (the events' rows are the outbox). */
  webhooks?: DeliveryRef[];
}

export function mergeEffects(...effects: AfterCommit[]): AfterCommit {
  return {
    withdraw: effects.flatMap((effect) => effect.withdraw ?? []),
    hopperPass: effects.some((effect) => effect.hopperPass),
    settle: [...new Set(effects.flatMap((effect) => effect.settle ?? []))],
    webhooks: effects.flatMap((effect) => effect.webhooks ?? []),
  };
}

export async function applyAfterCommit(deps: Pick<ServiceDeps, 'db' | 'queues' | 'logger'>, effects: AfterCommit): Promise<void> {
  try {
    for (const work of effects.withdraw ?? []) {
      const channel = channelNamed(work.channel);
      await deps.queues.remove(channel.queue, [channel.jobId(work.id, work.promotion)]);
    }
    // One pass soon is enough however many changes asked for it.
    if (effects.hopperPass) {
      await deps.queues.add(JobName.HopperTick, { data: {}, jobId: `promote-soon-${Date.now()}` }, { deduplication: { id: 'promote-soon', ttl: 250 } });
    }
    await Promise.all((await mayBeDone(deps, effects.settle ?? [])).map((campaignId) => enqueueSettle(deps, campaignId)));
    await enqueueDeliveries(deps, effects.webhooks ?? [], new Date());
  } catch (error) {
    deps.logger.warn({ err: error }, 'post-commit work failed; the periodic hopper, the reconciler and the dispatch guard cover it');
  }
}

/**
 * The campaigns, among those where a target just went idle, in which no target holds work any
 * more: only they get a completion check (a campaign of many targets gets one at its end, not one
 * per report). Read after commit: of several transactions ending a campaign's last targets, the
 * last to commit sees the others' changes, so one of them always asks. A check this filter
 * misses (PostgreSQL down) is the reconciler's completion sweep's.
 */
async function mayBeDone(deps: Pick<ServiceDeps, 'db'>, campaignIds: string[]): Promise<string[]> {
  if (campaignIds.length === 0) return [];
  const busy = await campaignsWithPending(deps.db.sql, campaignIds);
  return campaignIds.filter((campaignId) => !busy.has(campaignId.toLowerCase()));
}

/**
 * Queues a completion check of the campaign. One check waiting per campaign is enough (it reads
 * the state when it runs); one asked for while a check runs follows it, as the running one may
 * have read the state before the change that asked.
 */
export async function enqueueSettle(deps: Pick<ServiceDeps, 'queues'>, campaignId: string): Promise<void> {
  await deps.queues.add(
    JobName.SettleCampaign,
    { data: { campaign_id: campaignId }, jobId: `settle-${campaignId}-${Date.now()}` },
    { deduplication: { id: `settle-${campaignId}`, keepLastIfActive: true } },
  );
}

/** The job of a delivery's next attempt: its id names the attempt, so queuing it twice queues it once. */
export const deliveryJobId = (delivery: DeliveryRef) => `webhook-${delivery.id}-${delivery.attempts}`;

/** Queues deliveries' next attempts, due at `at` (now: at once). */
export async function enqueueDeliveries(deps: Pick<ServiceDeps, 'queues'>, deliveries: readonly DeliveryRef[], at: Date, now = new Date()): Promise<void> {
  if (deliveries.length === 0) return;
  const delay = Math.max(0, at.getTime() - now.getTime());
  await deps.queues.addBulk(
    JobName.DeliverWebhook,
    deliveries.map((delivery) => ({
      data: { delivery_id: delivery.id, attempts: delivery.attempts },
      jobId: deliveryJobId(delivery),
      ...(delay > 0 ? { delay } : {}),
    })),
  );
}
