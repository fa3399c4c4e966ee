/**
 * How a finished command's result is kept on its row (`commands.result`, JSON) and read back:
 * the lifecycle worker writes it, and every request for the command, its replays and
 * `GET /commands/{command_id}` answer from it.
 */
import { z } from 'zod';
import type { Campaign } from '../db/repositories/campaigns.js';
import type { Command } from '../db/repositories/commands.js';
import type { ErrorKind } from '../domain/errors.js';
import { resumeSegments } from '../domain/lifecycle.js';

const ResumeCounts = z.object({
  segment: z.enum(resumeSegments),
  selected: z.int(),
  scheduledCalls: z.int(),
  queuedWhatsapp: z.int(),
  skippedExistingPending: z.int(),
  skippedMissingContact: z.int(),
  skippedDoNotContact: z.int(),
});
export type ResumeCounts = z.output<typeof ResumeCounts>;

/**
 * A finished command's result as stored on its row: the campaign as the command left it (so a
 * replay answers what the first request got) and a resume's counts, or the typed rejection.
 */
const StoredResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), campaignId: z.uuid(), campaign: z.record(z.string(), z.unknown()).optional(), resume: ResumeCounts.optional() }),
  z.object({ ok: z.literal(false), kind: z.string(), detail: z.string() }),
]);

/** The campaign kept in a result, its dates back from JSON strings (built once: building a schema costs far more than a parse). */
const StoredCampaign = z.object({ createdAt: z.coerce.date(), updatedAt: z.coerce.date() }).loose();

export type CommandResult = { ok: true; campaign: Campaign; resume?: ResumeCounts } | { ok: false; kind: ErrorKind; detail: string };

/** The result a finished command recorded, in the form callers read. */
export function resultOf(command: Command): CommandResult | null {
  if (!command.result) return null;
  const result = StoredResult.parse(command.result);
  if (!result.ok) return { ok: false, kind: result.kind as ErrorKind, detail: result.detail };
  const campaign = StoredCampaign.parse(result.campaign) as unknown as Campaign;
  return { ok: true, campaign, ...(result.resume ? { resume: result.resume } : {}) };
}

/** Stored on the command row by the lifecycle worker. */
export function storedResultOf(result: CommandResult): z.input<typeof StoredResult> {
  return result.ok
    ? { ok: true, campaignId: result.campaign.id, campaign: { ...result.campaign }, ...(result.resume ? { resume: result.resume } : {}) }
    : result;
}
