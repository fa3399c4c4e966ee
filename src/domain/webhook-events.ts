import type { CampaignStatus } from './lifecycle.js';
import type { WebhookEventType } from './webhooks.js';

/**
 * The events webhooks push (docs/webhooks.md), as written to the outbox: ids and the state that
 * changed. Each gets its `sequence` when written; the body adds `type` and `timestamp`.
 */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  organizationId: string;
  type: T;
  data: Record<string, unknown>;
}

const event = <T extends WebhookEventType>(type: T, organizationId: string, data: Record<string, unknown>): WebhookEvent<T> => ({
  organizationId,
  type,
  data: { organization_id: organizationId, ...data },
});

export interface StatusChange {
  organizationId: string;
  campaignId: string;
  from: CampaignStatus;
  to: CampaignStatus;
  /** The command (start, pause, resume, complete) or the system's move (auto_complete, scheduled_end). */
  command: string;
  actor: string;
  reason: string | null;
}

/** A lifecycle transition: `campaign.status_changed`, and `campaign.completed` when it reached done. */
export function statusChangeEvents(change: StatusChange): WebhookEvent[] {
  const common = { campaign_id: change.campaignId, actor: change.actor, command: change.command, reason: change.reason };
  const events: WebhookEvent[] = [event('campaign.status_changed', change.organizationId, { ...common, from: change.from, to: change.to })];
  if (change.to === 'done') events.push(event('campaign.completed', change.organizationId, { ...common, from: change.from }));
  return events;
}

export interface TargetProgressFacts {
  organizationId: string;
  campaignId: string;
  targetId: string;
  round: number;
  state: string;
  reachedNow: boolean;
  goalMetNow: boolean;
  /** Why its round ended in this change, if it did. */
  roundEnded: string | null;
}

/** What a target's move says: reached, goal met, round ended (in that order). */
export function targetEvents(facts: TargetProgressFacts): WebhookEvent[] {
  const common = { campaign_id: facts.campaignId, target_id: facts.targetId, round: facts.round, state: facts.state };
  const events: WebhookEvent[] = [];
  if (facts.reachedNow) events.push(event('target.reached', facts.organizationId, common));
  if (facts.goalMetNow) events.push(event('target.goal_met', facts.organizationId, common));
  if (facts.roundEnded) events.push(event('target.round_ended', facts.organizationId, { ...common, reason: facts.roundEnded }));
  return events;
}

export interface EndedCall {
  organizationId: string;
  campaignId: string;
  targetId: string;
  callId: string;
  status: string;
  durationS: number | null;
  aiLabel: string | null;
  aiScore: number | null;
  optOut: boolean;
}

export const callEndedEvent = (call: EndedCall): WebhookEvent =>
  event('call.ended', call.organizationId, {
    campaign_id: call.campaignId,
    target_id: call.targetId,
    call_id: call.callId,
    status: call.status,
    duration_s: call.durationS,
    ai_label: call.aiLabel,
    ai_score: call.aiScore,
    opt_out: call.optOut,
  });

export interface Reply {
  organizationId: string;
  campaignId: string;
  targetId: string;
  messageId: string;
  text: string | null;
  optOut: boolean;
}

export const repliedEvent = (reply: Reply): WebhookEvent =>
  event('whatsapp.replied', reply.organizationId, {
    campaign_id: reply.campaignId,
    target_id: reply.targetId,
    message_id: reply.messageId,
    text: reply.text,
    opt_out: reply.optOut,
  });

export interface OptOut {
  organizationId: string;
  campaignId: string;
  targetId: string;
  callId: string | null;
  messageId: string | null;
}

export const optedOutEvent = (optOut: OptOut): WebhookEvent =>
  event('target.opted_out', optOut.organizationId, {
    campaign_id: optOut.campaignId,
    target_id: optOut.targetId,
    call_id: optOut.callId,
    message_id: optOut.messageId,
  });
