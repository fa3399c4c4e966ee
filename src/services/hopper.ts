import { channelNamed, channels, type JobCampaign } from '../channels.js';
import { setPacedUntil } from '../db/repositories/campaigns.js';
import { lockCampaign, lockPacedCampaign, tryLockCampaignHopper } from '../db/locks.js';
import { campaignsWithDueWork, lockDueWork, markPromoted, promotedCount, reschedule, type Promotion } from '../db/repositories/hopper.js';
import { effectiveZone, nextWindowMoment } from '../domain/call-window.js';
import { spreadDueTimes } from '../domain/pacing.js';
import type { JobToAdd } from '../queues/queues.js';
import type { JobName } from '../queues/names.js';
import { callWindowOf } from './campaign-policy.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'settings'>;

export interface PromotionResult {
  promoted: number;
  deferred: number;
}

/**
 * The hopper's promotion: for every running campaign, its waiting rows due within the horizon
 * become delayed jobs, at most `maxPromotedPerCampaign` in Redis per campaign.
 */
export async function promoteDueWork(deps: Deps): Promise<PromotionResult> {
  const total: PromotionResult = { promoted: 0, deferred: 0 };
  const until = new Date(deps.clock().getTime() + deps.settings.scheduleHorizonMs);
  for (const campaignId of await campaignsWithDueWork(deps.db.sql, until)) {
    for (;;) {
      const batch = await promoteBatch(deps, campaignId);
      total.promoted += batch.promoted;
      total.deferred += batch.deferred;
      if (batch.promoted + batch.deferred < deps.settings.hopperBatchSize) break;
    }
  }
  if (total.promoted > 0) deps.logger.debug(total, 'hopper promoted due work');
  return total;
}

/**
 * One batch of one campaign, in one transaction: the campaign is locked shared (a pause waits
 * for the batch, then withdraws everything it promoted) and must be running; rows are locked
 * (skipping rows another process promotes), jobs are added with ids derived from row and
 * promotion number, and the promotion is recorded in the same transaction. A crash after
 * addBulk rolls the rows back and the next pass adds the same job ids, which BullMQ ignores.
 */
async function promoteBatch(deps: Deps, campaignId: string): Promise<PromotionResult> {
  const { settings } = deps;
  return deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, campaignId, 'shared');
    if (campaign?.status !== 'running' || !(await tryLockCampaignHopper(tx, campaignId))) return { promoted: 0, deferred: 0 };
    // A paced batch ends by writing paced_until: it takes the guard's lock of the campaign before
    // its rows (src/db/locks.ts), or a claim of a job this batch just queued (due now) and this
    // batch would wait for each other.
    if (campaign.maxCallsPerMinute !== null) await lockPacedCampaign(tx, campaignId);
    const budget = Math.min(settings.hopperBatchSize, settings.maxPromotedPerCampaign - (await promotedCount(tx, campaignId)));
    if (budget <= 0) return { promoted: 0, deferred: 0 };
    const now = deps.clock();
    const horizonEnd = now.getTime() + settings.scheduleHorizonMs;
    const rows = await lockDueWork(tx, campaignId, new Date(horizonEnd), budget);

    const window = callWindowOf(campaign);
    let pacedUntil = campaign.pacedUntil;
    const promoted: Promotion[] = [];
    const deferred: Promotion[] = [];
    const jobs = new Map<JobName, JobToAdd<JobName>[]>();
    for (const row of rows) {
      const channel = channelNamed(row.channel);
      const zone = effectiveZone(row.timezone, campaign.timezone);
      // A due time that passed (pause, workers down) moves to now, and calls into the window.
      const inWindow = (due: Date) => (channel.heldToWindow ? nextWindowMoment(due, window, zone) : due);
      let dueAt = inWindow(laterOf(row.scheduled_for, now));
      if (channel.paced && campaign.maxCallsPerMinute !== null) {
        // Paced: calls are spread so no minute holds more than the limit, in due order.
        dueAt = inWindow(spreadDueTimes([dueAt], campaign.maxCallsPerMinute, pacedUntil)[0]!);
      }
      if (dueAt.getTime() > horizonEnd) {
        deferred.push({ channel: row.channel, id: row.id, dueAt });
        continue;
      }
      if (channel.paced && campaign.maxCallsPerMinute !== null) pacedUntil = dueAt;
      promoted.push({ channel: row.channel, id: row.id, dueAt });
      const promotion = row.promotion + 1;
      jobs.set(channel.jobName, [
        ...(jobs.get(channel.jobName) ?? []),
        { data: channel.payload(row, jobCampaignOf(campaign), promotion), jobId: channel.jobId(row.id, promotion), delay: dueAt.getTime() - now.getTime() },
      ]);
    }
    for (const channel of channels) await deps.queues.addBulk(channel.jobName, jobs.get(channel.jobName) ?? []);
    await markPromoted(tx, promoted, now);
    await reschedule(tx, deferred, now);
    if (pacedUntil && pacedUntil !== campaign.pacedUntil) await setPacedUntil(tx, campaignId, pacedUntil);
    return { promoted: promoted.length, deferred: deferred.length };
  });
}

const laterOf = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);

const jobCampaignOf = (campaign: JobCampaign): JobCampaign => ({
  id: campaign.id,
  agentId: campaign.agentId,
  phoneNumberId: campaign.phoneNumberId,
  callOpeningMessage: campaign.callOpeningMessage,
  whatsappChannelId: campaign.whatsappChannelId,
  whatsappFirstMessage: campaign.whatsappFirstMessage,
});
