import type { Call, CallStatus } from '../../generated/prisma/client.js';
import { toPage, type Page, type PageRequest } from '../pagination.js';
import { empty, raw, sql, timestamps, type Db } from '../sql.js';

export type { Call };

/** The columns of a call (alias `c`), named as the ORM's `Call` type names them. */
export const callColumns = raw(`c.id, c.campaign_id AS "campaignId", c.target_id AS "targetId", c.round, c.attempt,
  c.round_attempt AS "roundAttempt", c.status, c.scheduled_for AS "scheduledFor", c.promoted_at AS "promotedAt",
  c.promotion, c.dialing_at AS "dialingAt", c.ended_at AS "endedAt", c.duration_s AS "durationS", c.ai_label AS "aiLabel",
  c.ai_score AS "aiScore", c.summary, c.cancel_reason AS "cancelReason", c.hold_reason AS "holdReason", c.opt_out AS "optOut", c.created_at AS "createdAt", c.updated_at AS "updatedAt"`);

export interface RecordedCall {
  id: string;
  status: CallStatus;
  durationS: number | null;
  aiLabel: string | null;
  aiScore: number | null;
  summary: string | null;
  optOut: boolean;
}

/** Records outcomes: the call ends now (a dialing time is kept) and leaves Redis's books. */
export async function saveOutcomes(tx: Db, calls: RecordedCall[], now: Date): Promise<Call[]> {
  if (calls.length === 0) return [];
  const column = <T>(pick: (call: RecordedCall) => T) => calls.map(pick);
  return tx.query<Call>(sql`
    UPDATE calls c SET status = x.status::call_status, ended_at = ${now}, dialing_at = coalesce(c.dialing_at, ${now}),
      promoted_at = NULL, duration_s = x.duration_s, ai_label = x.ai_label, ai_score = x.ai_score, summary = x.summary, opt_out = x.opt_out,
      updated_at = ${now}
    FROM unnest(${column((c) => c.id)}::uuid[], ${column((c) => c.status)}::text[], ${column((c) => c.durationS)}::int[],
                ${column((c) => c.aiLabel)}::text[], ${column((c) => c.aiScore)}::float8[], ${column((c) => c.summary)}::text[],
                ${column((c) => c.optOut)}::boolean[])
      AS x(id, status, duration_s, ai_label, ai_score, summary, opt_out)
    WHERE c.id = x.id
    RETURNING ${callColumns}`);
}

export interface NewCall {
  campaignId: string;
  targetId: string;
  round: number;
  attempt: number;
  roundAttempt: number;
  scheduledFor: Date;
}

export async function insertCalls(tx: Db, calls: NewCall[], now: Date): Promise<void> {
  if (calls.length === 0) return;
  const column = <T>(pick: (call: NewCall) => T) => calls.map(pick);
  await tx.query(sql`
    INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, updated_at)
    SELECT uuid_generate_v7(), x.campaign_id, x.target_id, x.round, x.attempt, x.round_attempt, 'scheduled', x.scheduled_for, ${now}
    FROM unnest(${column((c) => c.campaignId)}::uuid[], ${column((c) => c.targetId)}::uuid[], ${column((c) => c.round)}::int[],
                ${column((c) => c.attempt)}::int[], ${column((c) => c.roundAttempt)}::int[], ${timestamps(column((c) => c.scheduledFor))})
      AS x(campaign_id, target_id, round, attempt, round_attempt, scheduled_for)`);
}

export interface CallFilter {
  status?: CallStatus | undefined;
  targetId?: string | undefined;
}

export async function listCalls(db: Db, campaignId: string, filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
  const rows = await db.query<Call>(sql`
    SELECT ${callColumns} FROM calls c
    WHERE c.campaign_id = ${campaignId}::uuid
      ${filter.status ? sql`AND c.status = ${filter.status}::call_status` : empty}
      ${filter.targetId ? sql`AND c.target_id = ${filter.targetId}::uuid` : empty}
      ${page.cursor ? sql`AND c.id > ${page.cursor}::uuid` : empty}
    ORDER BY c.id LIMIT ${page.limit + 1}`);
  return toPage(rows, page.limit);
}
