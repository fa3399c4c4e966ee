import type { TargetState } from '../../generated/prisma/client.js';
import type { RecordedOutcome } from '../../domain/outcomes.js';
import type { TargetHistory } from '../../domain/target-state.js';
import { exists, raw, sql, type Db } from '../sql.js';
import { listedSql } from './do-not-contact.js';

/** A target as its progress needs it (src/services/target-progress.ts), locked for the transaction (`lockTargets`, src/db/locks.ts). */
export interface LockedTarget {
  id: string;
  campaignId: string;
  round: number;
  lastAttempt: number;
  hasWhatsapp: boolean;
  timezone: string | null;
  reachedAt: Date | null;
  goalMetAt: Date | null;
}

/** The columns of a `LockedTarget` (table `targets`, no alias). */
export const lockedTargetColumns = raw(`id, campaign_id AS "campaignId", round, last_attempt AS "lastAttempt", whatsapp IS NOT NULL AS "hasWhatsapp",
  timezone, reached_at AS "reachedAt", goal_met_at AS "goalMetAt"`);

/** Reads again targets this transaction has locked already (no lock: it holds them). */
export async function rereadLockedTargets(tx: Db, ids: string[]): Promise<Map<string, LockedTarget>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<LockedTarget>(sql`SELECT ${lockedTargetColumns} FROM targets WHERE id = ANY(${ids}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row]));
}

export interface LoadedHistory extends TargetHistory {
  /** Rounds that opened with a WhatsApp message (no fallback message in those rounds). */
  roundsOpenedWithWhatsapp: number[];
}

/**
 * Everything the goal and the states are computed from, for many targets in one statement.
 * Every sub-select reads one target's own rows through an index that starts with target_id.
 */
export async function loadHistories(db: Db, ids: string[]): Promise<Map<string, LoadedHistory>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{
    id: string;
    answered: number;
    replied: number;
    emails: number;
    ai: Array<{ label: string; score: number }> | null;
    attempted: boolean;
    last_failed: boolean | null;
    whatsapp_rounds: number[] | null;
    listed: boolean;
  }>(sql`
    SELECT t.id,
      (SELECT count(*) FROM calls c WHERE c.target_id = t.id AND c.status = 'answered')::int AS answered,
      (SELECT count(*) FROM whatsapp_messages m WHERE m.target_id = t.id AND m.replied_at IS NOT NULL)::int AS replied,
      (SELECT count(*) FROM email_events e WHERE e.target_id = t.id)::int AS emails,
      (SELECT json_agg(json_build_object('label', a.label, 'score', a.score)) FROM ai_evaluations a WHERE a.target_id = t.id) AS ai,
      (${exists(sql`SELECT true FROM calls c WHERE c.target_id = t.id AND c.ended_at IS NOT NULL`)}
        OR ${exists(sql`SELECT true FROM whatsapp_messages m WHERE m.target_id = t.id AND (m.sent_at IS NOT NULL OR m.failed_at IS NOT NULL)`)}) AS attempted,
      (SELECT failed FROM (
         SELECT c.ended_at AS at, c.status IN ('failed', 'timed_out') AS failed FROM calls c WHERE c.target_id = t.id AND c.ended_at IS NOT NULL
         UNION ALL
         SELECT coalesce(m.failed_at, m.sent_at), m.status = 'failed' FROM whatsapp_messages m
         WHERE m.target_id = t.id AND (m.sent_at IS NOT NULL OR m.failed_at IS NOT NULL)
       ) attempts ORDER BY at DESC LIMIT 1) AS last_failed,
      (SELECT array_agg(m.round) FROM whatsapp_messages m WHERE m.target_id = t.id AND m.kind = 'first') AS whatsapp_rounds,
      ${listedSql(sql`(SELECT k.organization_id FROM campaigns k WHERE k.id = t.campaign_id)`)} AS listed
    FROM targets t WHERE t.id = ANY(${ids}::uuid[])`);
  return new Map(
    rows.map((row) => [
      row.id,
      {
        answeredCalls: row.answered,
        repliedMessages: row.replied,
        sentEmails: row.emails,
        aiEvaluations: row.ai ?? [],
        attempted: row.attempted,
        lastAttemptFailed: row.last_failed ?? false,
        doNotContact: row.listed,
        roundsOpenedWithWhatsapp: row.whatsapp_rounds ?? [],
      },
    ]),
  );
}

export interface ProgressRow {
  id: string;
  state: TargetState;
  reachedAt: Date | null;
  goalMetAt: Date | null;
  lastAttempt: number;
}

export async function saveProgress(tx: Db, rows: ProgressRow[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: ProgressRow) => T) => rows.map(pick);
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  await tx.query(sql`
    UPDATE targets t SET state = x.state::target_state, reached_at = x.reached_at, goal_met_at = x.goal_met_at,
      last_attempt = x.last_attempt, updated_at = ${now}
    FROM unnest(${column((r) => r.id)}::uuid[], ${column((r) => r.state)}::text[], ${column((r) => iso(r.reachedAt))}::timestamptz[],
                ${column((r) => iso(r.goalMetAt))}::timestamptz[], ${column((r) => r.lastAttempt)}::int[])
      AS x(id, state, reached_at, goal_met_at, last_attempt)
    WHERE t.id = x.id`);
}

/** A call that ended, by its place in its target's round. */
export interface CallInItsRound {
  targetId: string;
  round: number;
  roundAttempt: number;
}

/**
 * The outcomes recorded for the calls that ended before each given call in its round, by target,
 * in order. Read through the index led by target_id.
 */
export async function loadEarlierOutcomes(db: Db, calls: CallInItsRound[]): Promise<Map<string, RecordedOutcome[]>> {
  if (calls.length === 0) return new Map();
  // One sub-select per call (as loadHistories does): each reads its target's own rows through
  // the index led by target_id, whatever the planner guesses of the tables' sizes.
  const rows = await db.query<{ target_id: string; outcomes: RecordedOutcome[] | null }>(sql`
    SELECT q.target_id, (
      SELECT array_agg(c.status::text ORDER BY c.round_attempt)
      FROM calls c
      WHERE c.target_id = q.target_id AND c.round = q.round AND c.round_attempt < q.round_attempt AND c.ended_at IS NOT NULL
    ) AS outcomes
    FROM unnest(${calls.map((call) => call.targetId)}::uuid[], ${calls.map((call) => call.round)}::int[], ${calls.map((call) => call.roundAttempt)}::int[])
      AS q(target_id, round, round_attempt)`);
  return new Map(rows.map((row) => [row.target_id, row.outcomes ?? []]));
}
