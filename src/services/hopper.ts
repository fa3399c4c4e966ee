import { channelNamed, channels, type JobCampaign } from '../channels.js';
import { setPacedUntil, type Campaign } from '../db/repositories/campaigns.js';
import { lockPacedCampaign, shareCampaigns, tryLockCampaignHoppers } from '../db/locks.js';
import {
  campaignsWithQueuedWork,
  dropWakeups,
  lockDueWork,
  markPromoted,
  nextDueTimes,
  promotedCounts,
  reschedule,
  wakeCampaigns,
  wokenCampaigns,
  type CampaignDueRow,
  type Promotion,
  type WokenCampaign,
} from '../db/repositories/hopper.js';
import { effectiveZone, nextWindowMoment } from '../domain/call-window.js';
import { campaignSlots, dispatchPriority } from '../domain/fair-share.js';
import { spreadDueTimes } from '../domain/pacing.js';
import type { JobToAdd } from '../queues/queues.js';
import type { JobName } from '../queues/names.js';
import { commitWithoutWaitingForDisk } from '../db/sql.js';
import { callWindowOf } from './campaign-policy.js';
import type { ServiceDeps } from './deps.js';

type Deps = Pick<ServiceDeps, 'db' | 'queues' | 'clock' | 'logger' | 'settings'>;

export interface PromotionResult {
  promoted: number;
  deferred: number;
}

/**
 * Campaigns promoted together in one transaction: a platform with thousands of small campaigns
 * due pays one commit per group, not per campaign.
 */
const CAMPAIGNS_PER_BATCH = 100;

/** What one batch did, and the campaigns that may have more to promote now. */
interface BatchResult extends PromotionResult {
  more: WokenCampaign[];
}

/**
 * The hopper's promotion: every running campaign with a due wake-up gets its waiting rows due
 * within the horizon queued as jobs, at most `maxPromotedPerCampaign` in Redis per campaign, each
 * job numbered for fair dispatch (src/domain/fair-share.ts) among the campaigns with work.
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
  let batches = batchesOf(running);
  while (batches.length > 0) {
    const more: WokenCampaign[] = [];
    for (const batch of batches) {
      const result = await promoteBatch(deps, batch, slots);
      total.promoted += result.promoted;
      total.deferred += result.deferred;
      more.push(...result.more);
    }
    batches = batchesOf(more);
  }
  if (total.promoted > 0) deps.logger.debug(total, 'hopper promoted due work');
  return total;
}

/** A paced campaign's batch locks its row to write its pacing: it goes alone. */
function batchesOf(campaigns: WokenCampaign[]): WokenCampaign[][] {
  const unpaced = campaigns.filter((campaign) => !campaign.paced);
  const batches = campaigns.filter((campaign) => campaign.paced).map((campaign) => [campaign]);
  for (let offset = 0; offset < unpaced.length; offset += CAMPAIGNS_PER_BATCH) batches.push(unpaced.slice(offset, offset + CAMPAIGNS_PER_BATCH));
  return batches;
}

/**
 * One batch of campaigns, in one transaction: the campaigns are locked shared (a pause waits
 * for the batch, then withdraws everything it promoted) and must be running; rows are locked
 * (skipping rows another process promotes), jobs are added with ids derived from row and
 * promotion number, and the promotion is recorded in the same transaction. A crash after
 * addBulk rolls the rows back and the next pass adds the same job ids, which BullMQ ignores.
 * A campaign left with nothing due has its wake-ups removed; one stopped by its Redis budget,
 * or promoted by another process now, keeps them for the next pass.
 */
async function promoteBatch(deps: Deps, batch: WokenCampaign[], slots: Map<string, { campaigns: number; slot: number }>): Promise<BatchResult> {
  const { settings } = deps;
  return deps.db.sql.transaction(async (tx) => {
    const locked = await shareCampaigns(
      tx,
      batch.map((woken) => woken.campaignId),
    );
    const running = batch.filter((woken) => locked.get(woken.campaignId)?.status === 'running');
    await dropWakeups(
      tx,
      batch.filter((woken) => !running.includes(woken)).flatMap((woken) => woken.wakeups),
    );
    const mine = await tryLockCampaignHoppers(
      tx,
      running.map((woken) => woken.campaignId),
    );
    // Paced since the wake-ups were read (edited while paused): the next pass takes it alone.
    const alone = batch.length === 1;
    const campaigns = running.filter((woken) => mine.has(woken.campaignId) && (alone || locked.get(woken.campaignId)!.maxCallsPerMinute === null));
    if (campaigns.length === 0) return { promoted: 0, deferred: 0, more: [] };
    await commitWithoutWaitingForDisk(tx);
    // A paced batch ends by writing paced_until: it takes the guard's lock of the campaign before
    // its rows (src/db/locks.ts), or a claim of a job this batch just queued (due now) and this
    // batch would wait for each other.
    if (alone && locked.get(campaigns[0]!.campaignId)!.maxCallsPerMinute !== null) await lockPacedCampaign(tx, campaigns[0]!.campaignId);
    const queued = await promotedCounts(
      tx,
      campaigns.map((woken) => woken.campaignId),
    );
    const rooms = new Map(campaigns.map((woken) => [woken.campaignId, settings.maxPromotedPerCampaign - sum(Object.values(queued.get(woken.campaignId)!))]));
    const open = campaigns.filter((woken) => rooms.get(woken.campaignId)! > 0);
    const budgets = open.map((woken) => ({ campaignId: woken.campaignId, budget: Math.min(settings.hopperBatchSize, rooms.get(woken.campaignId)!) }));
    const now = deps.clock();
    const horizonEnd = new Date(now.getTime() + settings.scheduleHorizonMs);
    const due = await lockDueWork(tx, budgets, horizonEnd, settings.hopperBatchSize);

    const promoted: Promotion[] = [];
    const deferred: Promotion[] = [];
    const jobs = new Map<JobName, JobToAdd<JobName>[]>();
    const taken = new Map<string, number>();
    for (const woken of open) {
      const campaign = locked.get(woken.campaignId)!;
      const rows = due.rows.filter((row) => row.campaign_id === woken.campaignId);
      taken.set(woken.campaignId, rows.length);
      const placed = placeRows(deps, campaign, rows, now, horizonEnd);
      promoted.push(...placed.promoted);
      deferred.push(...placed.deferred);
      if (placed.pacedUntil && placed.pacedUntil !== campaign.pacedUntil) await setPacedUntil(tx, campaign.id, placed.pacedUntil);
      const depths = queued.get(woken.campaignId)!;
      for (const { row, promotion } of placed.jobs) {
        const channel = channelNamed(row.channel);
        const job: JobToAdd<JobName> = {
          data: channel.payload(row, jobCampaignOf(campaign), promotion.number),
          jobId: channel.jobId(row.id, promotion.number),
          delay: promotion.dueAt.getTime() - now.getTime(),
          priority: dispatchPriority({ depth: depths[row.channel]++, ...slots.get(woken.campaignId)! }),
        };
        const queue = jobs.get(channel.jobName) ?? [];
        queue.push(job);
        jobs.set(channel.jobName, queue);
      }
    }
    for (const channel of channels) await deps.queues.addBulk(channel.jobName, jobs.get(channel.jobName) ?? []);
    await markPromoted(tx, promoted, now);
    await reschedule(tx, deferred, now);

    // More may be due: a campaign that filled its budget with room left, or one the read was cut
    // before. A campaign at its Redis budget waits for the next pass, wake-ups kept.
    const more = open.filter(
      (woken, index) =>
        (due.cutFrom !== null && index >= due.cutFrom) ||
        (taken.get(woken.campaignId) === budgets[index]!.budget && budgets[index]!.budget < rooms.get(woken.campaignId)!),
    );
    const finished = open.filter((woken) => !more.includes(woken) && taken.get(woken.campaignId)! < budgets[open.indexOf(woken)]!.budget);
    // A campaign done for now is woken again when its next row is due (a row due already was
    // skipped, held by another transaction: its wake-ups stay).
    const next = await nextDueTimes(
      tx,
      finished.map((woken) => woken.campaignId),
    );
    const dueNow = (campaignId: string) => (next.get(campaignId)?.getTime() ?? Infinity) <= horizonEnd.getTime();
    const done = finished.filter((woken) => !dueNow(woken.campaignId));
    await dropWakeups(
      tx,
      done.flatMap((woken) => woken.wakeups),
    );
    await wakeCampaigns(
      tx,
      done.flatMap((woken) => (next.has(woken.campaignId) ? [{ campaignId: woken.campaignId, at: next.get(woken.campaignId)! }] : [])),
    );
    return { promoted: promoted.length, deferred: deferred.length, more };
  });
}

interface Placement {
  promoted: Promotion[];
  deferred: Promotion[];
  jobs: Array<{ row: CampaignDueRow; promotion: { number: number; dueAt: Date } }>;
  pacedUntil: Date | null;
}

/**
 * When each of a campaign's due rows is handed out: a due time that passed (pause, workers
 * down) moves to now, a call into its window, a paced call after the campaign's last; a row
 * whose time falls beyond the horizon waits as a row.
 */
function placeRows(deps: Deps, campaign: Campaign, rows: CampaignDueRow[], now: Date, horizonEnd: Date): Placement {
  const window = callWindowOf(campaign);
  const placement: Placement = { promoted: [], deferred: [], jobs: [], pacedUntil: campaign.pacedUntil };
  for (const row of rows) {
    const channel = channelNamed(row.channel);
    const zone = effectiveZone(row.timezone, campaign.timezone);
    const inWindow = (due: Date) => (channel.heldToWindow ? nextWindowMoment(due, window, zone) : due);
    let dueAt = inWindow(laterOf(row.scheduled_for, now));
    const paced = channel.paced && campaign.maxCallsPerMinute !== null;
    // Paced: calls are spread so no minute holds more than the limit, in due order.
    if (paced) dueAt = inWindow(spreadDueTimes([dueAt], campaign.maxCallsPerMinute!, placement.pacedUntil)[0]!);
    if (dueAt.getTime() > horizonEnd.getTime()) {
      placement.deferred.push({ channel: row.channel, id: row.id, dueAt });
      continue;
    }
    if (paced) placement.pacedUntil = dueAt;
    placement.promoted.push({ channel: row.channel, id: row.id, dueAt });
    placement.jobs.push({ row, promotion: { number: row.promotion + 1, dueAt } });
  }
  return placement;
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);

const laterOf = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);

const jobCampaignOf = (campaign: JobCampaign): JobCampaign => ({
  id: campaign.id,
  agentId: campaign.agentId,
  phoneNumberId: campaign.phoneNumberId,
  callOpeningMessage: campaign.callOpeningMessage,
  whatsappChannelId: campaign.whatsappChannelId,
  whatsappFirstMessage: campaign.whatsappFirstMessage,
});
