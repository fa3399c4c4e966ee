import { z } from 'zod';
import type { Campaign } from '../db/repositories/campaigns.js';
import { channelNames } from '../domain/channel-names.js';
import { aiLabels, type GoalLogic, type GoalSpec } from '../domain/goal.js';
import { retriedOutcomes, type RetryRule, type RoundPolicy } from '../domain/rounds.js';
import { DEFAULT_CALL_WINDOW, type CallWindow } from '../domain/working-hours.js';

// The JSON columns as the API stores them (already validated and normalized on the way in);
// parsed here rather than cast, so a row written by hand or an old format fails loudly.
const StoredCallWindow = z.object({ start: z.string(), end: z.string(), weekdays: z.array(z.int()) });
const StoredGoalSpec = z.object({
  objectives: z
    .array(
      z.discriminatedUnion('type', [
        z.object({ type: z.literal('contact'), channels: z.array(z.enum(channelNames)).optional(), min_count: z.int() }),
        z.object({ type: z.literal('email'), min_count: z.int() }),
        z.object({ type: z.literal('ai'), label_in: z.array(z.enum(aiLabels)).optional(), min_score: z.number() }),
      ]),
    )
    .optional(),
});

const StoredRetryPolicy = z.partialRecord(z.enum(retriedOutcomes), z.object({ delay_minutes: z.int(), max_retries: z.int() }));

/** The campaign settings that drive rounds. */
export function roundPolicyOf(campaign: Campaign): RoundPolicy {
  return {
    firstContactChannel: campaign.firstContactChannel,
    callAttemptDelays: campaign.callAttemptDelays,
    whatsappAfterAttempts: campaign.whatsappAfterAttempts,
    hasWhatsappChannel: campaign.whatsappChannelId !== null,
    ...(campaign.callRetryPolicy === null ? {} : { callRetryPolicy: retryRulesOf(campaign.callRetryPolicy) }),
  };
}

function retryRulesOf(stored: unknown): RoundPolicy['callRetryPolicy'] {
  return Object.fromEntries(
    Object.entries(StoredRetryPolicy.parse(stored)).map(([outcome, rule]): [string, RetryRule] => [
      outcome,
      { delayMinutes: rule.delay_minutes, maxRetries: rule.max_retries },
    ]),
  );
}

/** Working hours and blackout dates, in the form the window math reads. */
export function callWindowOf(campaign: Campaign): CallWindow {
  const stored = campaign.callWorkingHours === null ? DEFAULT_CALL_WINDOW : StoredCallWindow.parse(campaign.callWorkingHours);
  return { ...stored, blackoutDates: [...(campaign.blackoutDates ?? [])].sort() };
}

export function goalOf(campaign: Campaign): { spec: GoalSpec | null; logic: GoalLogic } {
  return { spec: campaign.goalSpec === null ? null : StoredGoalSpec.parse(campaign.goalSpec), logic: campaign.goalLogic };
}
