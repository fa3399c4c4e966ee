import type { Db } from '../db/client.js';
import { findCampaignById } from '../db/repositories/campaigns.js';
import {
  campaignsWithDueWork,
  lockDueCalls,
  lockDueMessages,
  markPromoted,
  promotedCount,
  rescheduleCalls,
  type DueCall,
  type Promotion,
} from '../db/repositories/hopper.js';
import { effectiveZone, nextWindowMoment } from '../domain/call-window.js';
import type { Logger } from '../logger.js';
import { JobName } from '../queues/names.js';
import { callJobId, whatsappJobId, type JobToAdd, type Queues } from '../queues/queues.js';
import { callWindowOf } from './campaign-policy.js';
import type { Clock } from './clock.js';

export interface HopperSettings {
  /** Rows due within this many seconds become delayed jobs. */
  horizonSeconds: number;
  /** Rows promoted per campaign per statement. */
  batchSize: number;
  /** Jobs a campaign may hold in Redis at once: bounds Redis however large the campaign. */
  maxPromotedPerCampaign: number;
}

export interface HopperDeps {
  db: Db;
  queues: Queues;
  clock: Clock;
  logger: Logger;
  hopper: HopperSettings;
}

export interface PromotionResult {
  calls: number;
  messages: number;
}

/**
 * One pass of the hopper: for every running campaign, promote its pending rows due within the
 * horizon into delayed jobs. Rows are locked (SKIP LOCKED), jobs added with ids derived from
 * row and promotion number, and the promotion recorded in the same transaction: a crash
 * after addBulk rolls the rows back and the next pass adds the same job ids, which BullMQ
 * ignores. Nothing is lost, nothing is queued twice.
 */
export async function promoteDueWork(deps: HopperDeps): Promise<PromotionResult> {
  const total: PromotionResult = { calls: 0, messages: 0 };
  const until = new Date(deps.clock().getTime() + deps.hopper.horizonSeconds * 1000);
  for (const campaignId of await campaignsWithDueWork(deps.db, until)) {
    for (;;) {
      const promoted = await promoteBatch(deps, campaignId);
      total.calls += promoted.calls;
      total.messages += promoted.messages;
      if (promoted.calls + promoted.messages < deps.hopper.batchSize) break;
    }
  }
  if (total.calls + total.messages > 0) deps.logger.info(total, 'hopper promoted due work');
  return total;
}

async function promoteBatch(deps: HopperDeps, campaignId: string): Promise<PromotionResult> {
  const { db, queues, hopper } = deps;
  return db.$transaction(async (tx) => {
    const campaign = await findCampaignById(tx, campaignId);
    if (campaign?.status !== 'running') return { calls: 0, messages: 0 };
    const budget = Math.min(hopper.batchSize, hopper.maxPromotedPerCampaign - (await promotedCount(tx, campaignId)));
    if (budget <= 0) return { calls: 0, messages: 0 };
    const now = deps.clock();
    const horizonEnd = now.getTime() + hopper.horizonSeconds * 1000;

    const window = callWindowOf(campaign);
    const dueCalls = await lockDueCalls(tx, campaignId, new Date(horizonEnd), budget);
    const callJobs: JobToAdd<typeof JobName.Call>[] = [];
    const promotedCalls: Promotion[] = [];
    const deferredCalls: Promotion[] = [];
    for (const call of dueCalls) {
      // A due time that passed (pause, workers down) moves to the next moment inside the window.
      const dueAt = nextWindowMoment(laterOf(call.scheduled_for, now), window, effectiveZone(call.timezone, campaign.timezone));
      if (dueAt.getTime() > horizonEnd) {
        deferredCalls.push({ id: call.id, dueAt });
        continue;
      }
      promotedCalls.push({ id: call.id, dueAt });
      callJobs.push({
        data: callJobData(call, campaign, call.promotion + 1),
        jobId: callJobId(call.id, call.promotion + 1),
        delay: dueAt.getTime() - now.getTime(),
      });
    }

    const messageBudget = budget - promotedCalls.length;
    const dueMessages = messageBudget > 0 ? await lockDueMessages(tx, campaignId, new Date(horizonEnd), messageBudget) : [];
    const messageJobs: JobToAdd<typeof JobName.Whatsapp>[] = [];
    const promotedMessages: Promotion[] = [];
    for (const message of dueMessages) {
      const dueAt = laterOf(message.scheduled_for, now);
      promotedMessages.push({ id: message.id, dueAt });
      messageJobs.push({
        data: {
          message_id: message.id,
          campaign_id: campaign.id,
          target_id: message.target_id,
          whatsapp: message.whatsapp,
          whatsapp_channel_id: campaign.whatsappChannelId,
          text: campaign.whatsappFirstMessage,
          kind: message.kind,
          promotion: message.promotion + 1,
        },
        jobId: whatsappJobId(message.id, message.promotion + 1),
        delay: dueAt.getTime() - now.getTime(),
      });
    }

    await queues.addBulk(JobName.Call, callJobs);
    await queues.addBulk(JobName.Whatsapp, messageJobs);
    await markPromoted(tx, 'calls', promotedCalls, now);
    await markPromoted(tx, 'whatsapp_messages', promotedMessages, now);
    await rescheduleCalls(tx, deferredCalls);
    return { calls: promotedCalls.length, messages: promotedMessages.length };
  });
}

const laterOf = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);

function callJobData(
  call: DueCall,
  campaign: { id: string; agentId: string; phoneNumberId: string | null; callOpeningMessage: string | null },
  promotion: number,
) {
  return {
    call_id: call.id,
    campaign_id: campaign.id,
    target_id: call.target_id,
    customer_id: call.customer_id,
    attempt: call.attempt,
    phone: call.phone,
    agent_id: campaign.agentId,
    phone_number_id: campaign.phoneNumberId,
    opening_message: campaign.callOpeningMessage,
    variables: call.variables,
    promotion,
  };
}
