import { Prisma } from '../generated/prisma/client.js';
import type { Db } from '../db/client.js';
import { createCampaign, findCampaign, updateCampaignIfStatus, type Campaign } from '../db/repositories/campaigns.js';
import { Conflict, NotFound } from '../domain/errors.js';
import { normalizeCallWindow } from '../domain/working-hours.js';
import type { CampaignCreate, CampaignUpdate } from '../api/schemas/campaign.js';

const json = (value: object | null | undefined) =>
  value === null ? Prisma.DbNull : (value as Prisma.InputJsonObject | undefined);

export async function createCampaignFor(db: Db, organizationId: string, input: CampaignCreate): Promise<Campaign> {
  return createCampaign(db, organizationId, {
    name: input.name,
    agentId: input.agent_id,
    phoneNumberId: input.phone_number_id ?? null,
    emailChannelId: input.email_channel_id ?? null,
    whatsappChannelId: input.whatsapp_channel_id ?? null,
    goal: input.goal ?? null,
    goalSpec: json(input.goal_spec),
    goalLogic: input.goal_logic,
    firstContactChannel: input.first_contact_channel,
    callOpeningMessage: input.call_opening_message ?? null,
    whatsappFirstMessage: input.whatsapp_first_message ?? null,
    whatsappAfterAttempts: input.whatsapp_after_attempts,
    callAttemptDelays: input.call_attempt_delays ?? [],
    callWorkingHours: { ...normalizeCallWindow(input.call_working_hours) },
    timezone: input.timezone,
  });
}

export async function getCampaign(db: Db, organizationId: string, id: string): Promise<Campaign> {
  const campaign = await findCampaign(db, organizationId, id);
  if (!campaign) throw new NotFound('Campaign not found.');
  return campaign;
}

/** Settings change only while the campaign is draft or paused (checked in the UPDATE itself). */
export async function updateCampaignFor(db: Db, organizationId: string, id: string, input: CampaignUpdate): Promise<Campaign> {
  await getCampaign(db, organizationId, id); // 404 before 409
  const changed = await updateCampaignIfStatus(db, id, ['draft', 'paused'], {
    name: input.name,
    agentId: input.agent_id,
    phoneNumberId: input.phone_number_id,
    emailChannelId: input.email_channel_id,
    whatsappChannelId: input.whatsapp_channel_id,
    goal: input.goal,
    goalSpec: json(input.goal_spec),
    goalLogic: input.goal_logic,
    firstContactChannel: input.first_contact_channel,
    callOpeningMessage: input.call_opening_message,
    whatsappFirstMessage: input.whatsapp_first_message,
    whatsappAfterAttempts: input.whatsapp_after_attempts,
    callAttemptDelays: input.call_attempt_delays,
    callWorkingHours: input.call_working_hours && { ...normalizeCallWindow(input.call_working_hours) },
    timezone: input.timezone,
  });
  if (!changed) {
    const latest = await getCampaign(db, organizationId, id);
    throw new Conflict(`A ${latest.status} campaign cannot be edited; only draft and paused campaigns can (pause it first).`);
  }
  return getCampaign(db, organizationId, id);
}
