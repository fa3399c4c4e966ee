import type { Campaign } from '../../generated/prisma/client.js';
import { raw, type Sql } from '../sql.js';

export type { Campaign };

const CAMPAIGN_COLUMNS: Record<keyof Campaign, string> = {
  id: 'id',
  organizationId: 'organization_id',
  name: 'name',
  agentId: 'agent_id',
  phoneNumberId: 'phone_number_id',
  emailChannelId: 'email_channel_id',
  whatsappChannelId: 'whatsapp_channel_id',
  goal: 'goal',
  goalSpec: 'goal_spec',
  goalLogic: 'goal_logic',
  firstContactChannel: 'first_contact_channel',
  callOpeningMessage: 'call_opening_message',
  whatsappFirstMessage: 'whatsapp_first_message',
  whatsappAfterAttempts: 'whatsapp_after_attempts',
  callAttemptDelays: 'call_attempt_delays',
  callWorkingHours: 'call_working_hours',
  timezone: 'timezone',
  blackoutDates: 'blackout_dates',
  maxCallsPerMinute: 'max_calls_per_minute',
  maxConcurrentCalls: 'max_concurrent_calls',
  dispatchExpiryMinutes: 'dispatch_expiry_minutes',
  recentDials: 'recent_dials',
  pacedUntil: 'paced_until',
  status: 'status',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};

/** The campaign columns of alias `alias`, named as the ORM's `Campaign` type names them. */
export const campaignColumns = (alias: string): Sql =>
  raw(
    Object.entries(CAMPAIGN_COLUMNS)
      .map(([field, column]) => `${alias}.${column} AS "${field}"`)
      .join(', '),
  );
