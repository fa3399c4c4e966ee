import type { Call, Campaign as CampaignRow, CampaignEvent, Target, WhatsappMessage } from '../generated/prisma/client.js';
import type { Campaign, CampaignOut } from '../api/schemas/campaign.js';
import type { CallWindow } from '../domain/working-hours.js';
import type { GoalSpec } from '../domain/goal.js';

const optional = <K extends string, V>(key: K, value: V | null | undefined) =>
  (value === null || value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** A campaign row as the contract's CampaignOut (optional fields omitted, never null). */
export function campaignOut(row: CampaignRow): CampaignOut {
  return {
    id: row.id,
    name: row.name,
    agent_id: row.agentId,
    ...optional('phone_number_id', row.phoneNumberId),
    ...optional('email_channel_id', row.emailChannelId),
    ...optional('whatsapp_channel_id', row.whatsappChannelId),
    ...optional('goal', row.goal),
    ...optional('goal_spec', row.goalSpec as GoalSpec | null),
    goal_logic: row.goalLogic,
    first_contact_channel: row.firstContactChannel,
    ...optional('call_opening_message', row.callOpeningMessage),
    ...optional('whatsapp_first_message', row.whatsappFirstMessage),
    whatsapp_after_attempts: row.whatsappAfterAttempts,
    call_attempt_delays: row.callAttemptDelays,
    ...optional('call_working_hours', row.callWorkingHours as CallWindow | null),
    status: row.status,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function campaignView(row: CampaignRow): Campaign {
  return { ...campaignOut(row), timezone: row.timezone };
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
    created_at: row.createdAt.toISOString(),
  };
}

const iso = (date: Date | null) => date?.toISOString() ?? null;

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
  };
}
