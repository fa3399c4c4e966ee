import type { Call } from '../db/repositories/calls.js';
import type { CampaignEvent } from '../db/repositories/campaign-events.js';
import type { Campaign } from '../db/repositories/campaigns.js';
import type { DoNotContact } from '../db/repositories/do-not-contact.js';
import type { WhatsappMessage } from '../db/repositories/messages.js';
import type { Target } from '../db/repositories/targets.js';
import type { CampaignStats } from '../services/campaign-stats.js';
import type { CommandResult } from '../services/command-results.js';
import type { ContactPolicy } from '../services/contact-policy.js';
import type { WebhookEndpoint } from '../db/repositories/webhook-endpoints.js';
import type { DeliveryView } from '../db/repositories/webhook-events.js';
import type { WebhookEventType } from '../domain/webhooks.js';
import { CallRetryPolicy, CampaignCallWindow, CampaignGoalSpec, type CampaignOut } from './schemas/campaign.js';

/** Rows and results as HTTP bodies: the only place that knows both shapes. */

const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
  (value === null || value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A campaign as the execution contract (docs/execution-contract.openapi.json) CampaignOut (optional fields omitted, never null). */
export function campaignOut(row: Campaign): CampaignOut {
  return {
    id: row.id,
    name: row.name,
    agent_id: row.agentId,
    ...optional('phone_number_id', row.phoneNumberId),
    ...optional('email_channel_id', row.emailChannelId),
    ...optional('whatsapp_channel_id', row.whatsappChannelId),
    ...optional('goal', row.goal),
    ...optional('goal_spec', row.goalSpec === null ? null : CampaignGoalSpec.parse(row.goalSpec)),
    goal_logic: row.goalLogic,
    first_contact_channel: row.firstContactChannel,
    ...optional('call_opening_message', row.callOpeningMessage),
    ...optional('whatsapp_first_message', row.whatsappFirstMessage),
    whatsapp_after_attempts: row.whatsappAfterAttempts,
    call_attempt_delays: row.callAttemptDelays,
    ...optional('call_working_hours', row.callWorkingHours === null ? null : CampaignCallWindow.parse(row.callWorkingHours)),
    status: row.status,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The campaign resource: CampaignOut plus the settings this system adds. */
export function campaignView(row: Campaign) {
  return {
    ...campaignOut(row),
    timezone: row.timezone,
    blackout_dates: row.blackoutDates ?? [],
    max_calls_per_minute: row.maxCallsPerMinute,
    max_concurrent_calls: row.maxConcurrentCalls,
    dispatch_expiry_minutes: row.dispatchExpiryMinutes,
    call_retry_policy: row.callRetryPolicy === null ? null : CallRetryPolicy.parse(row.callRetryPolicy),
    starts_at: iso(row.startsAt),
    ends_at: iso(row.endsAt),
  };
}

/** A finished command's answer: the campaign (and a resume's counts) with 200, or the error. */
export function commandAnswer(result: Extract<CommandResult, { ok: true }>) {
  const campaign = campaignOut(result.campaign);
  if (!result.resume) return campaign;
  const counts = result.resume;
  return {
    campaign,
    segment: counts.segment,
    selected_targets: counts.selected,
    scheduled_calls: counts.scheduledCalls,
    queued_whatsapp: counts.queuedWhatsapp,
    skipped_existing_pending: counts.skippedExistingPending,
    skipped_missing_contact: counts.skippedMissingContact,
    // Beyond the execution contract, a part of skipped_missing_contact: targets on the do-not-contact list.
    skipped_do_not_contact: counts.skippedDoNotContact,
  };
}

export function targetView(row: Target) {
  return {
    id: row.id,
    customer_id: row.customerId,
    name: row.name,
    phone: row.phone,
    whatsapp: row.whatsapp,
    email: row.email,
    timezone: row.timezone,
    variables: row.variables as Record<string, unknown>,
    state: row.state,
    opted_out_at: iso(row.optedOutAt),
    created_at: row.createdAt.toISOString(),
  };
}

export function campaignEventView(row: CampaignEvent) {
  return {
    id: row.id,
    command: row.command,
    from: row.fromStatus,
    to: row.toStatus,
    actor: row.actor,
    request_id: row.requestId,
    command_id: row.commandId,
    reason: row.reason,
    created_at: row.createdAt.toISOString(),
  };
}

export function callView(row: Call) {
  return {
    id: row.id,
    target_id: row.targetId,
    round: row.round,
    attempt: row.attempt,
    status: row.status,
    scheduled_for: row.scheduledFor.toISOString(),
    dialing_at: iso(row.dialingAt),
    ended_at: iso(row.endedAt),
    duration_s: row.durationS,
    ai_label: row.aiLabel,
    ai_score: row.aiScore,
    summary: row.summary,
    cancel_reason: row.cancelReason,
    opt_out: row.optOut,
  };
}

export function whatsappMessageView(row: WhatsappMessage) {
  return {
    id: row.id,
    target_id: row.targetId,
    round: row.round,
    kind: row.kind,
    status: row.status,
    scheduled_for: row.scheduledFor.toISOString(),
    sent_at: iso(row.sentAt),
    replied_at: iso(row.repliedAt),
    reply_text: row.replyText,
    opt_out: row.optOut,
  };
}

export function statsView(stats: CampaignStats) {
  return {
    targets: {
      total: stats.total,
      by_state: stats.targetsByState,
      goal_met: stats.targetsByState.goal_met ?? 0,
      do_not_contact: stats.targetsByState.do_not_contact ?? 0,
      with_pending_work: stats.targetsWithPendingWork,
    },
    calls: stats.callsByStatus,
    whatsapp_messages: stats.messagesByStatus,
    contact_rules: { calls_held_by_caps: stats.callsHeldByContactCaps, opt_outs: stats.optOuts },
    progress: stats.progress,
  };
}

export function webhookEndpointView(row: WebhookEndpoint) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    previous_secret_expires_at: iso(row.previousSecretExpiresAt),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function webhookDeliveryView(row: DeliveryView) {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.type as WebhookEventType,
    sequence: Number(row.sequence),
    status: row.status as 'pending' | 'delivered' | 'failed',
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    next_attempt_at: iso(row.nextAttemptAt),
    delivered_at: iso(row.deliveredAt),
    created_at: row.createdAt.toISOString(),
  };
}

export function contactPolicyView(policy: ContactPolicy) {
  return {
    max_calls_per_contact: policy.maxCallsPerContact,
    opt_out_keywords: policy.optOutKeywords,
    updated_at: iso(policy.updatedAt),
  };
}

export function doNotContactView(row: DoNotContact) {
  return {
    id: row.id,
    kind: row.kind,
    value: row.value,
    reason: row.reason as 'manual' | 'opt_out',
    source:
      row.reason === 'opt_out'
        ? { campaign_id: row.sourceCampaignId, target_id: row.sourceTargetId, call_id: row.sourceCallId, message_id: row.sourceMessageId }
        : null,
    created_at: row.createdAt.toISOString(),
  };
}
