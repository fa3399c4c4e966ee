import type { Campaign } from '../generated/prisma/client.js';
import type { GoalSpec } from '../domain/goal.js';
import type { RoundPolicy } from '../domain/rounds.js';
import { DEFAULT_CALL_WINDOW, type CallWindow } from '../domain/working-hours.js';

/** The campaign settings that drive rounds, read from its row. */
export function roundPolicyOf(campaign: Campaign): RoundPolicy {
  return {
    firstContactChannel: campaign.firstContactChannel,
    callAttemptDelays: campaign.callAttemptDelays,
    whatsappAfterAttempts: campaign.whatsappAfterAttempts,
    hasWhatsappChannel: campaign.whatsappChannelId !== null,
  };
}

export const callWindowOf = (campaign: Campaign): CallWindow =>
  (campaign.callWorkingHours as CallWindow | null) ?? DEFAULT_CALL_WINDOW;

export const goalSpecOf = (campaign: Campaign) => campaign.goalSpec as GoalSpec | null;
