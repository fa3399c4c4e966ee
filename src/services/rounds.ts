import type { Prisma } from '../generated/prisma/client.js';
import type { Campaign } from '../generated/prisma/client.js';
import { effectiveTimezones, openRounds, type OpenRoundsCounts } from '../db/repositories/rounds.js';
import { nextWindowMoment } from '../domain/call-window.js';
import { callWindowOf } from './campaign-policy.js';

/** Targets per statement when rounds open: bounds memory and statement time on huge campaigns. */
const ROUND_BATCH = 20_000;

/**
 * Opens rounds for the targets `filter` selects. Attempt 1 is due now, moved into the call
 * window of each target's zone: computed once per distinct zone, so the rows themselves are
 * written set-based.
 */
export async function openRoundsFor(
  tx: Prisma.TransactionClient,
  campaign: Campaign,
  filter: Prisma.Sql,
  now: Date,
  onBatch?: (totals: OpenRoundsCounts) => Promise<void>,
): Promise<OpenRoundsCounts> {
  const window = callWindowOf(campaign);
  const zones = await effectiveTimezones(tx, campaign.id, campaign.timezone);
  return openRounds(tx, {
    campaignId: campaign.id,
    campaignTimezone: campaign.timezone,
    whatsappEnabled: campaign.whatsappChannelId !== null,
    whatsappFirst: campaign.firstContactChannel === 'whatsapp',
    callDueByZone: new Map(zones.map((zone) => [zone, nextWindowMoment(now, window, zone)])),
    messageDue: now,
    filter,
    batchSize: ROUND_BATCH,
    ...(onBatch ? { onBatch } : {}),
  });
}
