import { z } from 'zod';
import { channelNames } from '../domain/channel-names.js';
import { callOutcomes } from '../domain/rounds.js';
import { whatsappEvents, type WhatsappEvent } from '../domain/whatsapp-status.js';
import { aiLabels } from '../domain/goal.js';

export { whatsappEvents, type WhatsappEvent };

const id = z.uuid();

/** Data of a `call` job on `campaign-calls`: what dialers receive (docs/dialers.md, "The call job"). */
export const CallJobData = z.object({
  call_id: id,
  campaign_id: id,
  target_id: id,
  customer_id: z.string().nullable(),
  attempt: z.int(),
  phone: z.string(),
  agent_id: id,
  phone_number_id: z.string().nullable(),
  opening_message: z.string().nullable(),
  variables: z.record(z.string(), z.unknown()),
  /** Which promotion of the call this job is; a stale job (older promotion) is skipped. */
  promotion: z.int(),
});
export type CallJobData = z.output<typeof CallJobData>;

/** Data of a `whatsapp` job on `campaign-whatsapp`. */
export const WhatsappJobData = z.object({
  message_id: id,
  campaign_id: id,
  target_id: id,
  whatsapp: z.string(),
  whatsapp_channel_id: z.string().nullable(),
  text: z.string().nullable(),
  kind: z.enum(['first', 'fallback']),
  promotion: z.int(),
});
export type WhatsappJobData = z.output<typeof WhatsappJobData>;

export const CallOutcomeReport = z.object({
  status: z.enum(callOutcomes),
  duration_s: z.int().min(0).optional(),
  ai_label: z.enum(aiLabels).optional(),
  ai_score: z.number().min(0).max(1).optional(),
  summary: z.string().max(10_000).optional(),
  /** The person asked not to be contacted again (answered calls only). */
  opt_out: z.boolean().optional(),
});
export type CallOutcomeReport = z.output<typeof CallOutcomeReport>;

/**
 * Data of a `claim` job: the dialer helper (src/dialer) asks the dispatch guard about a job it
 * took. The channel travels as `kind` because installed helpers send that name: it stays `kind`
 * on the wire and is read as `channel`, the name the system uses everywhere else.
 */
export const ClaimJobData = z
  .object({
    kind: z.enum(channelNames),
    id,
    promotion: z.int(),
  })
  .transform(({ kind, ...claim }) => ({ channel: kind, ...claim }));
/** A claim as the helper sends it (`kind`); handlers receive it parsed (`channel`). */
export type ClaimJobData = z.input<typeof ClaimJobData>;
/** The claim job's result, which the helper waits for: the guard's answer over Redis. */
export type ClaimResult = { proceed: true } | { proceed: false; retry: boolean; reason: string };

export const CallOutcomeJobData = CallOutcomeReport.extend({ call_id: id });
export const WhatsappEventJobData = z.object({ message_id: id, event: z.enum(whatsappEvents), text: z.string().max(4096).optional() });
