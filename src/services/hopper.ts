import { channelNamed, channels, type JobCampaign } from '../channels.js';
import { setPacedUntil } from '../db/repositories/campaigns.js';
import { lockCampaign, lockPacedCampaign, tryLockCampaignHopper } from '../db/locks.js';
import {
  campaignsWithQueuedWork,
  dropWakeups,
  hasDueWork,
  lockDueWork,
  markPromoted,
  promotedCounts,
  reschedule,
  wokenCampaigns,
  type Promotion,
  type WokenCampaign,
} from '../db/repositories/hopper.js';
import { effectiveZone, nextWindowMoment } from '../domain/call-window.js';
import { campaignSlots, dispatchPriority } from '../domain/fair-share.js';
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

/** What one batch did, and whether the campaign may have more to promote now. */
interface BatchResult extends PromotionResult {
  more: boolean;
}

/**
 * The hopper's promotion: every running campaign with a due wake-up gets its waiting rows due
 * within the horizon queued as jobs, at most `maxPromotedPerCampaign` in Redis per campaign, each
 * job numbered for fair dispatch (src/domain/fair-share.ts) among the campaigns woken with it.
 */
export async function promoteDueWork(deps: Deps): Promise<PromotionResult> {
  const total: PromotionResult = { promoted: 0, deferred: 0 };
  const until = new Date(deps.clock().getTime() + deps.settings.scheduleHorizonMs);
  const woken = await wokenCampaigns(deps.db.sql, until);
  // A campaign that does not run promotes nothing; a resume wakes it again.
  await dropWakeups(
    deps.db.sql,
    woken.filter((campaign) => !campaign.running).flatMap((campaign) => campaign.wakeups),
  );
  const running = woken.filter((campaign) => campaign.running && campaign.organizationId !== null);
  // Shares count every campaign with work: those woken now and those whose jobs are still queued.
  const slots = campaignSlots([
    ...running.map((campaign) => ({ campaignId: campaign.campaignId, organizationId: campaign.organizationId! })),
    ...(running.length > 0 ? await campaignsWithQueuedWork(deps.db.sql) : []),
  ]);
  for (const campaign of running) {
    for (;;) {
      const batch = await promoteBatch(deps, campaign, slots.get(campaign.campaignId)!);
      total.promoted += batch.promoted;
      total.deferred += batch.deferred;
      if (!batch.more) break;
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
 * The batch that leaves nothing due removes the wake-ups read; one stopped by the Redis budget,
 * or by another process promoting the campaign, keeps them for the next pass.
 */
async function promoteBatch(deps: Deps, woken: WokenCampaign, share: { campaigns: number; slot: number }): Promise<BatchResult> {
  const { settings } = deps;
  const campaignId = woken.campaignId;
  const nothing = (more: boolean): BatchResult => ({ promoted: 0, deferred: 0, more });
  return deps.db.sql.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, campaignId, 'shared');
    if (campaign?.status !== 'running') {
      await dropWakeups(tx, woken.wakeups);
      return nothing(false);
    }
    if (!(await tryLockCampaignHopper(tx, campaignId))) return nothing(false);
    // A paced batch ends by writing paced_until: it takes the guard's lock of the campaign before
    // its rows (src/db/locks.ts), or a claim of a job this batch just queued (due now) and this
    // batch would wait for each other.
    if (campaign.maxCallsPerMinute !== null) await lockPacedCampaign(tx, campaignId);
    const queued = await promotedCounts(tx, campaignId);
    const room = settings.maxPromotedPerCampaign - Object.values(queued).reduce((sum, n) => sum + n, 0);
    if (room <= 0) return nothing(false);
    const budget = Math.min(settings.hopperBatchSize, room);
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
      const depth = queued[row.channel]++;
      jobs.set(channel.jobName, [
        ...(jobs.get(channel.jobName) ?? []),
        {
          data: channel.payload(row, jobCampaignOf(campaign), promotion),
          jobId: channel.jobId(row.id, promotion),
          delay: dueAt.getTime() - now.getTime(),
          priority: dispatchPriority({ depth, ...share }),
        },
      ]);
    }
    for (const channel of channels) await deps.queues.addBulk(channel.jobName, jobs.get(channel.jobName) ?? []);
    await markPromoted(tx, promoted, now);
    await reschedule(tx, deferred, now);
    if (pacedUntil && pacedUntil !== campaign.pacedUntil) await setPacedUntil(tx, campaignId, pacedUntil);
    const more = rows.length === budget && budget < room;
    // Rows skipped because another transaction held them are still due: the wake-ups stay.
    if (!more && rows.length < budget && !(await hasDueWork(tx, campaignId, new Date(horizonEnd)))) await dropWakeups(tx, woken.wakeups);
    return { promoted: promoted.length, deferred: deferred.length, more };
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
