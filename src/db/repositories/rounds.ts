import { Prisma } from '../../generated/prisma/client.js';
import type { ResumeSegment } from '../../domain/lifecycle.js';
import type { DbClient } from '../client.js';

export interface OpenRoundsInput {
  campaignId: string;
  campaignTimezone: string;
  /** The campaign has a WhatsApp channel. */
  whatsappEnabled: boolean;
  /** Rounds open with a WhatsApp message where the target has a number. */
  whatsappFirst: boolean;
  /** Due time of attempt 1 for each effective time zone (already inside the call window). */
  callDueByZone: Map<string, Date>;
  /** Due time of an opening WhatsApp message. */
  messageDue: Date;
  /** Which targets are selected: a SQL condition on alias `t`. */
  filter: Prisma.Sql;
  batchSize: number;
  /** Called after each batch with the totals so far (progress of a long command). */
  onBatch?: (totals: OpenRoundsCounts) => Promise<void>;
}

export interface OpenRoundsCounts {
  /** Targets the filter selected. */
  selected: number;
  /** Selected targets that still have a pending call or message: they get no new round. */
  skippedExistingPending: number;
  /** Selected targets without a usable contact for any channel of the round. */
  skippedMissingContact: number;
  /** Rounds opened with a call. */
  scheduledCalls: number;
  /** Rounds opened with a WhatsApp message. */
  queuedWhatsapp: number;
}

/** The time zones in which the campaign's targets read the call window. */
export async function effectiveTimezones(db: DbClient, campaignId: string, campaignTimezone: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ zone: string }[]>`
    SELECT DISTINCT coalesce(timezone, ${campaignTimezone}) AS zone FROM targets WHERE campaign_id = ${campaignId}::uuid`;
  return rows.map((row) => row.zone);
}

/**
 * Opens a contact round for every target the filter selects, set-based and in batches by id:
 * one statement per batch bumps the targets' round and writes their first call and/or
 * WhatsApp message. Targets without a usable contact get no round.
 */
export async function openRounds(db: DbClient, input: OpenRoundsInput): Promise<OpenRoundsCounts> {
  const zones = [...input.callDueByZone.keys()];
  const dues = zones.map((zone) => input.callDueByZone.get(zone)!.toISOString());
  const totals: OpenRoundsCounts = { selected: 0, skippedExistingPending: 0, skippedMissingContact: 0, scheduledCalls: 0, queuedWhatsapp: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const [batch] = await db.$queryRaw<
      { last_id: string | null; selected: bigint; pending: bigint; opened: bigint; messages: bigint }[]
    >`
      WITH candidates AS (
        SELECT t.id,
               EXISTS (SELECT 1 FROM calls c WHERE c.target_id = t.id AND c.status IN ('scheduled', 'dialing'))
               OR EXISTS (SELECT 1 FROM whatsapp_messages m WHERE m.target_id = t.id AND m.status = 'queued') AS pending
        FROM targets t
        WHERE t.campaign_id = ${input.campaignId}::uuid AND t.id > ${after}::uuid AND ${input.filter}
        ORDER BY t.id LIMIT ${input.batchSize}
      ),
      opened AS (
        UPDATE targets t
        SET round = t.round + 1,
            last_attempt = t.last_attempt + (t.phone IS NOT NULL)::int,
            updated_at = now()
        FROM candidates c
        WHERE t.id = c.id AND NOT c.pending AND (t.phone IS NOT NULL OR (${input.whatsappEnabled}::boolean AND t.whatsapp IS NOT NULL))
        RETURNING t.id, t.round, t.last_attempt, t.phone, t.whatsapp, t.timezone
      ),
      new_calls AS (
        INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for)
        SELECT uuid_generate_v7(), ${input.campaignId}::uuid, o.id, o.round, o.last_attempt, 1, 'scheduled', d.due_at
        FROM opened o
        JOIN unnest(${zones}::text[], ${dues}::text[]::timestamptz[]) AS d(zone, due_at)
          ON d.zone = coalesce(o.timezone, ${input.campaignTimezone})
        WHERE o.phone IS NOT NULL
        RETURNING target_id
      ),
      new_messages AS (
        INSERT INTO whatsapp_messages (id, campaign_id, target_id, round, kind, ends_round, status, scheduled_for)
        SELECT uuid_generate_v7(), ${input.campaignId}::uuid, o.id, o.round, 'first', o.phone IS NULL, 'queued',
               ${input.messageDue.toISOString()}::timestamptz
        FROM opened o
        WHERE ${input.whatsappEnabled}::boolean AND o.whatsapp IS NOT NULL AND (o.phone IS NULL OR ${input.whatsappFirst}::boolean)
        RETURNING target_id
      )
      SELECT (SELECT max(id::text) FROM candidates) AS last_id,
             (SELECT count(*) FROM candidates) AS selected,
             (SELECT count(*) FROM candidates WHERE pending) AS pending,
             (SELECT count(*) FROM opened) AS opened,
             (SELECT count(*) FROM new_messages) AS messages,
             (SELECT count(*) FROM new_calls) AS calls`;
    if (!batch?.last_id) return totals;
    const [selected, pending, opened, messages] = [batch.selected, batch.pending, batch.opened, batch.messages].map(Number) as [number, number, number, number];
    totals.selected += selected;
    totals.skippedExistingPending += pending;
    totals.skippedMissingContact += selected - pending - opened;
    totals.queuedWhatsapp += messages;
    totals.scheduledCalls += opened - messages;
    after = batch.last_id;
    await input.onBatch?.(totals);
  }
}

/** Start from draft: every target that never had a round. */
export const neverStarted = Prisma.sql`t.round = 0`;

/** Resume: the targets in a segment (goal-met targets are in none). */
export const inSegment = (segment: ResumeSegment) => Prisma.sql`t.state = ${segment}::target_state`;
