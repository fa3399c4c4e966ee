/**
 * The contact channels, each described once. The hopper, cancel, withdraw, reconcile and the
 * dispatch guard loop over this list or read a channel's facts from it; nothing else names a
 * channel's table or queue, or branches on a channel's name. What else adding a channel (email,
 * SMS) takes is listed in ARCHITECTURE.md, "Extending".
 */
import { channelRules, type ChannelName } from './domain/channel-names.js';
import { raw, sql, type Sql } from './db/sql.js';
import type { JobPayload } from './queues/catalog.js';
import { JobName, QueueName } from './queues/names.js';

export type { ChannelName };

/** Campaign settings a job carries, read once per promotion batch. */
export interface JobCampaign {
  id: string;
  agentId: string;
  phoneNumberId: string | null;
  callOpeningMessage: string | null;
  whatsappChannelId: string | null;
  whatsappFirstMessage: string | null;
}

/** A row promoted into a job: the common columns plus the channel's `jobColumns`. */
export interface DueRow {
  channel: ChannelName;
  id: string;
  target_id: string;
  promotion: number;
  scheduled_for: Date;
  timezone: string | null;
  [column: string]: unknown;
}

export interface Channel<J extends JobName = JobName> {
  name: ChannelName;
  /** The table of its rows (calls, messages), as an SQL identifier. */
  table: Sql;
  /** Status of a row waiting to be handed out: only such rows are promoted. */
  waiting: string;
  /** Status of a row handed out whose report is awaited (still pending): a call's outcome, a message's event. */
  claimed: string;
  /** Status given to pending rows that are no longer needed. */
  canceled: string;
  /** When a claimed row was handed out (for the timeout of rows whose report never came). */
  claimedAt: Sql;
  /** Extra columns the job needs, selected by the hopper (aliases: w = the row, t = its target). */
  jobColumns: Sql;
  /** Whether the row's due time is held to the call window (calls) or just to "not before". */
  heldToWindow: boolean;
  /** Whether it counts against pacing and concurrency limits (src/domain/channel-names.ts). */
  paced: boolean;
  /** The 404 detail of a claim over HTTP for an unknown id, or another organization's. */
  notFound: string;
  /** How the HTTP guard's answers and documentation word the contact: "Do not dial: the call …". */
  claimWords: { act: string; noun: string };
  queue: QueueName;
  jobName: J;
  jobId(id: string, promotion: number): string;
  payload(row: DueRow, campaign: JobCampaign, promotion: number): JobPayload<J>;
}

const call: Channel<typeof JobName.Call> = {
  name: 'call',
  table: raw('calls'),
  waiting: 'scheduled',
  claimed: 'dialing',
  canceled: 'canceled',
  claimedAt: raw('dialing_at'),
  jobColumns: sql`w.attempt, t.customer_id::text AS customer_id, t.phone, t.variables`,
  heldToWindow: true,
  paced: channelRules.call.paced,
  notFound: 'Call not found.',
  claimWords: { act: 'dial', noun: 'call' },
  queue: QueueName.Calls,
  jobName: JobName.Call,
  jobId: (id, promotion) => `call-${id}-${promotion}`,
  payload: (row, campaign, promotion) => ({
    call_id: row.id,
    campaign_id: campaign.id,
    target_id: row.target_id,
    customer_id: row.customer_id as string | null,
    attempt: row.attempt as number,
    phone: row.phone as string,
    agent_id: campaign.agentId,
    phone_number_id: campaign.phoneNumberId,
    opening_message: campaign.callOpeningMessage,
    variables: row.variables as Record<string, unknown>,
    promotion,
  }),
};

const whatsapp: Channel<typeof JobName.Whatsapp> = {
  name: 'whatsapp',
  table: raw('whatsapp_messages'),
  waiting: 'queued',
  claimed: 'sending',
  canceled: 'canceled',
  claimedAt: raw('updated_at'),
  jobColumns: sql`w.kind::text AS kind, t.whatsapp`,
  heldToWindow: false,
  paced: channelRules.whatsapp.paced,
  notFound: 'WhatsApp message not found.',
  claimWords: { act: 'send', noun: 'message' },
  queue: QueueName.Whatsapp,
  jobName: JobName.Whatsapp,
  jobId: (id, promotion) => `whatsapp-${id}-${promotion}`,
  payload: (row, campaign, promotion) => ({
    message_id: row.id,
    campaign_id: campaign.id,
    target_id: row.target_id,
    whatsapp: row.whatsapp as string,
    whatsapp_channel_id: campaign.whatsappChannelId,
    text: campaign.whatsappFirstMessage,
    kind: row.kind as 'first' | 'fallback',
    promotion,
  }),
};

export const channels: readonly Channel[] = [call, whatsapp];

export function channelNamed(name: ChannelName): Channel {
  const found = channels.find((channel) => channel.name === name);
  if (!found) throw new RangeError(`unknown channel ${name}`);
  return found;
}

export const callChannel = call;

// Statuses are code constants, written into the statement as literals (never parameters) so
// the planner can match the partial indexes whose predicates name them.
const literal = (status: string) => raw(`'${status.replace(/'/g, "''")}'`);

/** The one definition of pending work: waiting or claimed (alias `w` for the channel's table). */
export function pendingSql(channel: Channel): Sql {
  return sql`w.status IN (${literal(channel.waiting)}, ${literal(channel.claimed)})`;
}

/** Waiting to be handed out (promotable when unpromoted). */
export const waitingSql = (channel: Channel): Sql => sql`w.status = ${literal(channel.waiting)}`;

/** Handed out, report awaited. */
export const claimedSql = (channel: Channel): Sql => sql`w.status = ${literal(channel.claimed)}`;

export const statusLiteral = literal;
