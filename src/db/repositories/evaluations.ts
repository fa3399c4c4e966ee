import { sql, type Db } from '../sql.js';

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

export async function insertEmailEvent(tx: Db, row: { campaignId: string; targetId: string; occurredAt: Date }): Promise<void> {
  await tx.query(sql`
    INSERT INTO email_events (id, campaign_id, target_id, occurred_at)
    VALUES (uuid_generate_v7(), ${row.campaignId}::uuid, ${row.targetId}::uuid, ${row.occurredAt})`);
}
