import type { CampaignSettings } from '../services/campaigns.js';
import type { CampaignCreate, CampaignUpdate } from './schemas/campaign.js';

const dateOf = (value: string | null | undefined) => (value == null ? null : new Date(value));

/** A validated create body as the service's settings (absent optional fields are null). */
export function settingsFromCreate(body: CampaignCreate): CampaignSettings {
  return {
    name: body.name,
    agentId: body.agent_id,
    phoneNumberId: body.phone_number_id ?? null,
    emailChannelId: body.email_channel_id ?? null,
    whatsappChannelId: body.whatsapp_channel_id ?? null,
    goal: body.goal ?? null,
    goalSpec: body.goal_spec ?? null,
    goalLogic: body.goal_logic,
    firstContactChannel: body.first_contact_channel,
    callOpeningMessage: body.call_opening_message ?? null,
    whatsappFirstMessage: body.whatsapp_first_message ?? null,
    whatsappAfterAttempts: body.whatsapp_after_attempts,
    callAttemptDelays: body.call_attempt_delays ?? [],
    callWorkingHours: body.call_working_hours ?? null,
    timezone: body.timezone,
    blackoutDates: body.blackout_dates,
    maxCallsPerMinute: body.max_calls_per_minute ?? null,
    maxConcurrentCalls: body.max_concurrent_calls ?? null,
    dispatchExpiryMinutes: body.dispatch_expiry_minutes,
    callRetryPolicy: body.call_retry_policy ?? null,
    startsAt: dateOf(body.starts_at),
    endsAt: dateOf(body.ends_at),
  };
}

/** A validated update body as a partial of the settings: undefined keeps a field, null clears it. */
export function settingsFromUpdate(body: CampaignUpdate): Partial<CampaignSettings> {
  const fields: Partial<CampaignSettings> = {
    name: body.name,
    agentId: body.agent_id,
    phoneNumberId: body.phone_number_id,
    emailChannelId: body.email_channel_id,
    whatsappChannelId: body.whatsapp_channel_id,
    goal: body.goal,
    goalSpec: body.goal_spec,
    goalLogic: body.goal_logic,
    firstContactChannel: body.first_contact_channel,
    callOpeningMessage: body.call_opening_message,
    whatsappFirstMessage: body.whatsapp_first_message,
    whatsappAfterAttempts: body.whatsapp_after_attempts,
    callAttemptDelays: body.call_attempt_delays,
    callWorkingHours: body.call_working_hours,
    timezone: body.timezone,
    // null clears the list.
    blackoutDates: body.blackout_dates === null ? [] : body.blackout_dates,
    maxCallsPerMinute: body.max_calls_per_minute,
    maxConcurrentCalls: body.max_concurrent_calls,
    dispatchExpiryMinutes: body.dispatch_expiry_minutes,
    callRetryPolicy: body.call_retry_policy,
    startsAt: body.starts_at === undefined ? undefined : dateOf(body.starts_at),
    endsAt: body.ends_at === undefined ? undefined : dateOf(body.ends_at),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
