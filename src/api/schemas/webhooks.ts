import { z } from 'zod';
import { campaignStatuses } from '../../domain/lifecycle.js';
import { webhookEventTypes } from '../../domain/webhooks.js';
import { checkedString, instant } from './input-checks.js';
import { CursorQuery, guid } from './common.js';

const events = z
  .array(z.enum(webhookEventTypes))
  .max(webhookEventTypes.length)
  .refine((list) => new Set(list).size === list.length, { error: 'must not repeat an event type' })
  .meta({ title: 'Events', description: 'Event types sent to the endpoint; empty or absent: every type.' });
const url = checkedString(() => 2_048).meta({
  description: 'https, resolving to public addresses (http and private addresses only with WEBHOOK_ALLOW_PRIVATE_URLS=true).',
});
const description = checkedString(() => 500);

export const WebhookEndpointIn = z
  .strictObject({ url, events: events.default([]), description: description.optional() })
  .meta({ id: 'WebhookEndpointIn', title: 'WebhookEndpointIn' });

export const WebhookEndpointUpdate = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    description: description.nullable().optional(),
    enabled: z.boolean().optional().meta({ description: 'false disables the endpoint; true enables it again (its failing streak and reason cleared).' }),
  })
  .refine((update) => Object.values(update).some((value) => value !== undefined), { error: 'send at least one field to change' })
  .meta({ id: 'WebhookEndpointUpdate', title: 'WebhookEndpointUpdate' });

export const WebhookEndpointOut = z
  .object({
    id: z.guid(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.enum(webhookEventTypes)),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().meta({ description: 'Why the system disabled it: 410 Gone, or 5 days of failures.' }),
    previous_secret_expires_at: z.string().nullable().meta({ description: 'Until when the secret before the last rotation signs too.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'WebhookEndpoint', title: 'WebhookEndpoint' });

export const WebhookEndpointCreated = WebhookEndpointOut.extend({
  secret: z.string().meta({ description: 'The signing secret (whsec_…): shown once, here.' }),
}).meta({ id: 'WebhookEndpointCreated', title: 'WebhookEndpointCreated' });

export const WebhookSecretRotated = z
  .object({
    secret: z.string().meta({ description: 'The new signing secret (whsec_…): shown once, here.' }),
    previous_secret_expires_at: z.string().meta({ description: 'The previous secret signs beside the new one until then (24 hours).' }),
  })
  .meta({ id: 'WebhookSecretRotated', title: 'WebhookSecretRotated' });

export const WebhookEndpointParams = z.object({ endpoint_id: guid() });

const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;

export const WebhookDeliveryQuery = CursorQuery.extend({ status: z.enum(deliveryStatuses).optional() });

export const WebhookDeliveryOut = z
  .object({
    id: z.guid(),
    event_id: z.guid().meta({ description: 'The webhook-id header of every attempt.' }),
    event_type: z.enum(webhookEventTypes),
    sequence: z.int(),
    status: z.enum(deliveryStatuses),
    attempts: z.int(),
    last_status_code: z.int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: z.string().nullable().meta({ description: 'When the next attempt is due (pending only).' }),
    delivered_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'WebhookDelivery', title: 'WebhookDelivery' });

export const WebhookReplayIn = z
  .strictObject({ event_id: guid().optional(), since: instant().optional() })
  .refine((body) => (body.event_id === undefined) !== (body.since === undefined), { error: 'send exactly one of event_id or since' })
  .meta({ id: 'WebhookReplayIn', title: 'WebhookReplayIn' });

export const WebhookReplayed = z
  .object({ replayed: z.int().meta({ description: 'Deliveries queued.' }) })
  .meta({ id: 'WebhookReplayed', title: 'WebhookReplayed' });

// The events' bodies, for the OpenAPI document's `webhooks` section.
const id = z.guid();
const common = {
  organization_id: id,
  sequence: z.int().meta({ description: 'Increases with every event; events of one target (or campaign) follow their changes in this order.' }),
};
const targetCommon = { ...common, campaign_id: id, target_id: id, round: z.int(), state: z.string() };
const lifecycle = {
  ...common,
  campaign_id: id,
  actor: z.string(),
  command: z.string().meta({ description: 'start, pause, resume, complete; or the system: auto_complete, scheduled_end.' }),
  reason: z.string().nullable(),
};

const body = <T extends z.ZodRawShape>(type: (typeof webhookEventTypes)[number], schemaId: string, data: T, summary: string) => ({
  type,
  summary,
  schema: z
    .object({ type: z.literal(type), timestamp: z.string().meta({ description: 'When the change happened (ISO 8601).' }), data: z.object(data) })
    .meta({ id: schemaId, title: schemaId }),
});

export const webhookEventBodies = [
  body(
    'campaign.status_changed',
    'CampaignStatusChangedEvent',
    { ...lifecycle, from: z.enum(campaignStatuses), to: z.enum(campaignStatuses) },
    'A lifecycle transition.',
  ),
  body('campaign.completed', 'CampaignCompletedEvent', { ...lifecycle, from: z.enum(campaignStatuses) }, 'The campaign moved to done.'),
  body('target.reached', 'TargetReachedEvent', targetCommon, 'A target was reached (a call answered, a WhatsApp reply) for the first time.'),
  body('target.goal_met', 'TargetGoalMetEvent', targetCommon, "A target's goal is met."),
  body(
    'target.round_ended',
    'TargetRoundEndedEvent',
    {
      ...targetCommon,
      reason: z.string().meta({ description: 'goal_met, reached, do_not_contact, exhausted, failed, unknown, whatsapp_sent, whatsapp_failed, no_work_left.' }),
    },
    "A target's round ended: it has no work left.",
  ),
  body(
    'call.ended',
    'CallEndedEvent',
    {
      ...common,
      campaign_id: id,
      target_id: id,
      call_id: id,
      status: z.string(),
      duration_s: z.int().nullable(),
      ai_label: z.string().nullable(),
      ai_score: z.number().nullable(),
      opt_out: z.boolean(),
    },
    "A call's outcome was recorded (timed_out included).",
  ),
  body(
    'whatsapp.replied',
    'WhatsappRepliedEvent',
    { ...common, campaign_id: id, target_id: id, message_id: id, text: z.string().nullable(), opt_out: z.boolean() },
    'A WhatsApp message got a reply.',
  ),
  body(
    'target.opted_out',
    'TargetOptedOutEvent',
    { ...common, campaign_id: id, target_id: id, call_id: id.nullable(), message_id: id.nullable() },
    "A person asked not to be contacted again; their identifiers joined the organization's do-not-contact list.",
  ),
];
