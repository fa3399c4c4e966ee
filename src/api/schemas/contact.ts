import { z } from 'zod';
import { aiLabels } from '../../domain/goal.js';
import { callStatuses } from '../../domain/outcomes.js';
import { canCarryOptOut, OPT_OUT_UNANSWERED } from '../../domain/outcomes.js';
import { callOutcomes } from '../../domain/rounds.js';
import { whatsappEvents, whatsappStatuses } from '../../domain/whatsapp-status.js';
import { inputLimits } from '../limits.js';
import { CursorQuery, guid } from './common.js';
import { checkedString, instant, int32Problems, report, textProblems } from './input-checks.js';

export const CallOutcomeIn = z
  .object({
    status: z.enum(callOutcomes),
    duration_s: z.int().min(0).optional(),
    ai_label: z.enum(aiLabels).optional(),
    ai_score: z.number().min(0).max(1).optional(),
    summary: z.string().optional(),
    opt_out: z.boolean().optional().meta({
      description:
        "true: the person asked not to be contacted again (answered calls only). Their phone, WhatsApp number, email and customer id join the organization's do-not-contact list.",
    }),
  })
  .refine((report) => report.opt_out !== true || canCarryOptOut(report.status), {
    error: OPT_OUT_UNANSWERED,
    path: ['opt_out'],
  })
  .refine((report) => (report.ai_label === undefined) === (report.ai_score === undefined), {
    error: 'ai_label and ai_score go together: send both or neither',
    path: ['ai_score'],
  })
  .superRefine((outcome, ctx) =>
    report(ctx, [...int32Problems(outcome.duration_s, ['duration_s']), ...textProblems(outcome.summary, ['summary'], inputLimits().summaryMaxChars)]),
  )
  .meta({ id: 'CallOutcomeIn', title: 'CallOutcomeIn' });

export const CallOut = z
  .object({
    id: z.guid(),
    target_id: z.guid(),
    round: z.int(),
    attempt: z.int(),
    status: z.enum(callStatuses),
    scheduled_for: z.string(),
    dialing_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    duration_s: z.int().nullable(),
    ai_label: z.string().nullable(),
    ai_score: z.number().nullable(),
    summary: z.string().nullable(),
    cancel_reason: z.string().nullable(),
    opt_out: z.boolean().meta({ description: 'The outcome carried an opt-out.' }),
  })
  .meta({ id: 'CallOut', title: 'CallOut' });

export const CallListQuery = CursorQuery.extend({
  status: z.enum(callStatuses).optional(),
  target_id: guid().optional(),
});

export const WhatsappEventIn = z
  .object({
    event: z.enum(whatsappEvents),
    text: checkedString(() => 4096)
      .optional()
      .meta({
        description:
          "The reply's text (replied only). A reply whose whole trimmed text is one of the organization's opt-out keywords (any case) is an opt-out.",
      }),
  })
  .refine((report) => report.text === undefined || report.event === 'replied', { error: 'text goes with the replied event only', path: ['text'] })
  .meta({ id: 'WhatsappEventIn', title: 'WhatsappEventIn' });

export const WhatsappMessageOut = z
  .object({
    id: z.guid(),
    target_id: z.guid(),
    round: z.int(),
    kind: z.enum(['first', 'fallback']),
    status: z.enum(whatsappStatuses),
    scheduled_for: z.string(),
    sent_at: z.string().nullable(),
    replied_at: z.string().nullable(),
    reply_text: z.string().nullable().meta({ description: 'The first reply text reported.' }),
    opt_out: z.boolean().meta({ description: 'A reply to this message was an opt-out.' }),
  })
  .meta({ id: 'WhatsappMessageOut', title: 'WhatsappMessageOut' });

export const TargetEventIn = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('email_sent'), occurred_at: instant().optional() }),
    z.object({
      type: z.literal('ai_evaluation'),
      label: z.enum(aiLabels),
      score: z.number().min(0).max(1),
    }),
  ])
  .meta({ id: 'TargetEventIn', title: 'TargetEventIn' });

export const CampaignStats = z
  .object({
    targets: z.object({
      total: z.int(),
      by_state: z.record(z.string(), z.int()),
      goal_met: z.int(),
      do_not_contact: z.int(),
      with_pending_work: z.int().meta({ description: 'Targets holding a pending call or message, or whose round a rollout has still to open.' }),
    }),
    calls: z.record(z.string(), z.int()),
    whatsapp_messages: z.record(z.string(), z.int()),
    contact_rules: z.object({
      calls_held_by_caps: z.int().meta({
        description: "Waiting calls held back because their number reached a cap of the organization's contact policy; each is due when every cap allows it.",
      }),
      opt_outs: z
        .int()
        .meta({ description: 'Opt-outs captured in this campaign: call outcomes with opt_out, and WhatsApp replies that were an opt-out keyword.' }),
    }),
    progress: z.number().meta({ description: 'Share of targets with no work left, 0 to 1.' }),
  })
  .meta({ id: 'CampaignStats', title: 'CampaignStats' });
