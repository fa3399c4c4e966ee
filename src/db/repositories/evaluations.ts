import type { StoredTargetEvent } from '../../domain/target-events.js';
import type { TargetState } from '../../domain/target-state.js';
import { raw, sql, type Db } from '../sql.js';

export interface NewEvaluation {
  campaignId: string;
  targetId: string;
  callId: string | null;
  label: string;
  score: number;
}

/** AI evaluations of conversations: from call outcomes or reported for the target. */
export async function insertEvaluations(tx: Db, rows: NewEvaluation[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: NewEvaluation) => T) => rows.map(pick);
  await tx.query(sql`
    INSERT INTO ai_evaluations (id, campaign_id, target_id, call_id, label, score)
    SELECT uuid_generate_v7(), x.campaign_id, x.target_id, x.call_id, x.label, x.score
    FROM unnest(${column((r) => r.campaignId)}::uuid[], ${column((r) => r.targetId)}::uuid[], ${column((r) => r.callId)}::uuid[],
                ${column((r) => r.label)}::text[], ${column((r) => r.score)}::float8[])
      AS x(campaign_id, target_id, call_id, label, score)`);
}

/** An email or an evaluation reported for a target (`dedupeKey`: see src/domain/target-events.ts). */
export type ReportedTargetEvent = { campaignId: string; targetId: string; dedupeKey: string | null } & (
  { type: 'email_sent'; occurredAt: Date } | { type: 'ai_evaluation'; label: string; score: number }
);

const TABLE_OF = { email_sent: raw('email_events'), ai_evaluation: raw('ai_evaluations') };

/** Inserts the report into its table; the unique (target_id, dedupe_key) index keeps one row per key. */
export async function insertTargetEvent(tx: Db, event: ReportedTargetEvent): Promise<{ type: ReportedTargetEvent['type']; id: string }> {
  const [row] =
    event.type === 'email_sent'
      ? await tx.query<{ id: string }>(sql`
          INSERT INTO email_events (id, campaign_id, target_id, occurred_at, dedupe_key)
          VALUES (uuid_generate_v7(), ${event.campaignId}::uuid, ${event.targetId}::uuid, ${event.occurredAt}, ${event.dedupeKey})
          RETURNING id`)
      : await tx.query<{ id: string }>(sql`
          INSERT INTO ai_evaluations (id, campaign_id, target_id, call_id, label, score, dedupe_key)
          VALUES (uuid_generate_v7(), ${event.campaignId}::uuid, ${event.targetId}::uuid, NULL, ${event.label}, ${event.score}::float8, ${event.dedupeKey})
          RETURNING id`);
  return { type: event.type, id: row!.id };
}

/** Keeps the target state a report was answered with, for its repeats. */
export async function saveTargetEventAnswer(tx: Db, event: { type: ReportedTargetEvent['type']; id: string }, state: TargetState): Promise<void> {
  await tx.query(sql`UPDATE ${TABLE_OF[event.type]} SET target_state = ${state}::target_state WHERE id = ${event.id}::uuid`);
}

/**
 * The report stored under this dedupe key for the target, in either table (one key names one
 * report, whatever its type). Its answer was saved in the transaction that inserted it.
 */
export async function findTargetEvent(db: Db, targetId: string, dedupeKey: string): Promise<StoredTargetEvent | null> {
  const [row] = await db.query<{ type: 'email_sent' | 'ai_evaluation'; occurredAt: Date; label: string; score: number; targetState: TargetState }>(sql`
    SELECT 'email_sent' AS type, occurred_at AS "occurredAt", NULL AS label, NULL::float8 AS score, target_state AS "targetState"
    FROM email_events WHERE target_id = ${targetId}::uuid AND dedupe_key = ${dedupeKey}
    UNION ALL
    SELECT 'ai_evaluation', NULL, label, score, target_state
    FROM ai_evaluations WHERE target_id = ${targetId}::uuid AND dedupe_key = ${dedupeKey}
    LIMIT 1`);
  if (!row) return null;
  return row.type === 'email_sent'
    ? { type: 'email_sent', occurredAt: row.occurredAt, targetState: row.targetState }
    : { type: 'ai_evaluation', label: row.label, score: row.score, targetState: row.targetState };
}
