import type { WhatsappMessage, WhatsappStatus } from '../../generated/prisma/client.js';
import { raw, sql, type Db } from '../sql.js';

export type { WhatsappMessage };

/** The columns of a WhatsApp message (alias `m`), named as the ORM's `WhatsappMessage` type names them. */
export const messageColumns = raw(`m.id, m.campaign_id AS "campaignId", m.target_id AS "targetId", m.round, m.kind, m.ends_round AS "endsRound",
  m.status, m.scheduled_for AS "scheduledFor", m.promoted_at AS "promotedAt", m.promotion, m.sent_at AS "sentAt",
  m.delivered_at AS "deliveredAt", m.read_at AS "readAt", m.replied_at AS "repliedAt", m.failed_at AS "failedAt",
  m.cancel_reason AS "cancelReason", m.reply_text AS "replyText", m.opt_out AS "optOut", m.created_at AS "createdAt", m.updated_at AS "updatedAt"`);

/** The event times a message records, one column per event. */
export interface MessageEventTimes {
  id: string;
  status: WhatsappStatus;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  repliedAt: Date | null;
  failedAt: Date | null;
  /** The reply's text (kept from the first reply that gave one), and whether it opted out. */
  replyText: string | null;
  optOut: boolean;
}

export async function saveMessageEvents(tx: Db, messages: MessageEventTimes[], now: Date): Promise<WhatsappMessage[]> {
  if (messages.length === 0) return [];
  const column = <T>(pick: (message: MessageEventTimes) => T) => messages.map(pick);
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return tx.query<WhatsappMessage>(sql`
    UPDATE whatsapp_messages m SET status = x.status::whatsapp_status, sent_at = x.sent_at, delivered_at = x.delivered_at,
      read_at = x.read_at, replied_at = x.replied_at, failed_at = x.failed_at, reply_text = x.reply_text, opt_out = x.opt_out,
      promoted_at = NULL, updated_at = ${now}
    FROM unnest(${column((m) => m.id)}::uuid[], ${column((m) => m.status)}::text[], ${column((m) => iso(m.sentAt))}::timestamptz[],
                ${column((m) => iso(m.deliveredAt))}::timestamptz[], ${column((m) => iso(m.readAt))}::timestamptz[],
                ${column((m) => iso(m.repliedAt))}::timestamptz[], ${column((m) => iso(m.failedAt))}::timestamptz[],
                ${column((m) => m.replyText)}::text[], ${column((m) => m.optOut)}::boolean[])
      AS x(id, status, sent_at, delivered_at, read_at, replied_at, failed_at, reply_text, opt_out)
    WHERE m.id = x.id
    RETURNING ${messageColumns}`);
}

export interface NewMessage {
  campaignId: string;
  targetId: string;
  round: number;
  kind: 'first' | 'fallback';
  endsRound: boolean;
  scheduledFor: Date;
}

export async function insertMessages(tx: Db, messages: NewMessage[], now: Date): Promise<void> {
  if (messages.length === 0) return;
  const column = <T>(pick: (message: NewMessage) => T) => messages.map(pick);
  await tx.query(sql`
    INSERT INTO whatsapp_messages (id, campaign_id, target_id, round, kind, ends_round, status, scheduled_for, updated_at)
    SELECT uuid_generate_v7(), x.campaign_id, x.target_id, x.round, x.kind::whatsapp_kind, x.ends_round, 'queued', x.scheduled_for, ${now}
    FROM unnest(${column((m) => m.campaignId)}::uuid[], ${column((m) => m.targetId)}::uuid[], ${column((m) => m.round)}::int[],
                ${column((m) => m.kind)}::text[], ${column((m) => m.endsRound)}::boolean[], ${column((m) => m.scheduledFor.toISOString())}::timestamptz[])
      AS x(campaign_id, target_id, round, kind, ends_round, scheduled_for)
    ON CONFLICT (target_id, round, kind) DO NOTHING`);
}
