import { declareSelectedLock } from '../locks.js';
import { sql, type Db } from '../sql.js';
import { listedSql } from './do-not-contact.js';
import { awaitingSql, selectionSql, type Rollout } from './rollouts.js';

/** What the round-opening decision needs to know about a target. */
export interface OpeningCandidate {
  id: string;
  hasPending: boolean;
  hasPhone: boolean;
  hasWhatsapp: boolean;
  listed: boolean;
  /** The zone the call window is read in: the target's, else the campaign's. */
  zone: string;
}

export interface RolloutScope {
  organizationId: string;
  campaignTimezone: string;
  /** The organization lists nobody: skip the per-target probes. */
  listEmpty: boolean;
}

const facts = (scope: RolloutScope) => sql`
  t.has_pending AS "hasPending", t.phone IS NOT NULL AS "hasPhone", t.whatsapp IS NOT NULL AS "hasWhatsapp",
  ${scope.listEmpty ? sql`false` : listedSql(scope.organizationId)} AS listed,
  coalesce(t.timezone, ${scope.campaignTimezone}) AS zone`;

/**
 * The rollout's next targets after its cursor, in id order, locked for its batch. The walk
 * follows an index whose leading columns the query fixes and whose order it asks for (start:
 * the partial index of targets that never had a round; resume: campaign, state, id), so each
 * target is read once over the whole rollout whatever the table's statistics.
 */
export async function nextRolloutTargets(tx: Db, rollout: Rollout, scope: RolloutScope, limit: number): Promise<OpeningCandidate[]> {
  declareSelectedLock(tx, 'targets', 'waits');
  return tx.query<OpeningCandidate>(sql`
    SELECT t.id, ${facts(scope)}
    FROM targets t
    WHERE t.campaign_id = ${rollout.campaignId}::uuid AND t.id > ${rollout.cursor}::uuid AND ${selectionSql(rollout)}
    ORDER BY t.id LIMIT ${limit}
    FOR UPDATE OF t`);
}

/** A round to open: attempt 1 due at `callDue` when it calls, and/or an opening WhatsApp message. */
/** A start rollout's place in a batch of several: where its walk stands, and its campaign's scope. */
export interface StartWalk {
  rollout: Rollout;
  scope: RolloutScope;
}

/**
 * The next targets of several start rollouts (targets that never had a round, after each one's
 * cursor, in id order, at most `limit` each), locked, in one statement: a platform starting
 * thousands of small campaigns reads them in one round trip, not one per campaign. The read
 * stops after `total` targets; `cutFrom` is the index of the rollout it stopped in (that one and
 * those after it were not read to their end), null when nothing was cut.
 */
export async function nextStartTargets(
  tx: Db,
  walks: readonly StartWalk[],
  limit: number,
  total: number,
): Promise<{ candidates: Array<OpeningCandidate & { rolloutId: string }>; cutFrom: number | null }> {
  declareSelectedLock(tx, 'targets', 'waits');
  if (walks.length === 0) return { candidates: [], cutFrom: null };
  const column = <T>(pick: (walk: StartWalk) => T) => walks.map(pick);
  const rows = await tx.query<OpeningCandidate & { rolloutId: string; ord: number }>(sql`
    SELECT c.ord::int AS ord, c.rollout_id::text AS "rolloutId", x.*
    FROM unnest(${column((walk) => walk.rollout.id)}::uuid[], ${column((walk) => walk.rollout.campaignId)}::uuid[], ${column((walk) => walk.rollout.cursor)}::uuid[],
                ${column((walk) => walk.scope.organizationId)}::uuid[], ${column((walk) => !walk.scope.listEmpty)}::boolean[], ${column((walk) => walk.scope.campaignTimezone)}::text[])
      WITH ORDINALITY AS c(rollout_id, campaign_id, cursor, organization_id, checks_list, campaign_zone, ord)
    CROSS JOIN LATERAL (
      SELECT t.id, t.has_pending AS "hasPending", t.phone IS NOT NULL AS "hasPhone", t.whatsapp IS NOT NULL AS "hasWhatsapp",
             CASE WHEN c.checks_list THEN ${listedSql(sql`c.organization_id`)} ELSE false END AS listed, coalesce(t.timezone, c.campaign_zone) AS zone
      FROM targets t
      WHERE t.campaign_id = c.campaign_id AND t.id > c.cursor AND t.round = 0
      ORDER BY t.id LIMIT ${limit}
      FOR UPDATE OF t
    ) x
    LIMIT ${total}`);
  const cutFrom = rows.length === total ? rows[rows.length - 1]!.ord - 1 : null;
  return { candidates: rows.map(({ ord: _ord, ...candidate }) => candidate), cutFrom };
}

export interface Opening {
  targetId: string;
  callDue: Date | null;
  message: null | { endsRound: boolean; due: Date };
}

/**
 * Opens rounds set-based: bumps the targets' round (and attempt counter when calling), marks
 * them pending, and inserts their first call and/or message. One statement for the batch.
 */
export async function writeOpenings(tx: Db, openings: Opening[], now: Date): Promise<void> {
  if (openings.length === 0) return;
  const column = <T>(pick: (opening: Opening) => T) => openings.map(pick);
  await tx.query(sql`
    WITH o AS (
      SELECT * FROM unnest(${column((o) => o.targetId)}::uuid[], ${column((o) => o.callDue?.toISOString() ?? null)}::timestamptz[],
                           ${column((o) => o.message?.due.toISOString() ?? null)}::timestamptz[], ${column((o) => o.message?.endsRound ?? false)}::boolean[])
        AS o(target_id, call_due, message_due, ends_round)
    ),
    opened AS (
      UPDATE targets t
      SET round = t.round + 1, last_attempt = t.last_attempt + (o.call_due IS NOT NULL)::int, has_pending = true, updated_at = ${now}
      FROM o WHERE t.id = o.target_id
      RETURNING t.id, t.campaign_id, t.round, t.last_attempt, o.call_due, o.message_due, o.ends_round
    ),
    new_calls AS (
      INSERT INTO calls (id, campaign_id, target_id, round, attempt, round_attempt, status, scheduled_for, updated_at)
      SELECT uuid_generate_v7(), campaign_id, id, round, last_attempt, 1, 'scheduled', call_due, ${now}
      FROM opened WHERE call_due IS NOT NULL
    )
    INSERT INTO whatsapp_messages (id, campaign_id, target_id, round, kind, ends_round, status, scheduled_for, updated_at)
    SELECT uuid_generate_v7(), campaign_id, id, round, 'first', ends_round, 'queued', message_due, ${now}
    FROM opened WHERE message_due IS NOT NULL`);
}

/** Targets whose round was refused because they are on the do-not-contact list. */
export async function markListed(tx: Db, targetIds: string[], now: Date): Promise<void> {
  if (targetIds.length === 0) return;
  await tx.query(sql`
    UPDATE targets SET state = 'do_not_contact', updated_at = ${now} WHERE id = ANY(${targetIds}::uuid[]) AND state <> 'goal_met'`);
}

/** Opening facts of a resume segment, grouped: the decision is taken once per group. */
export interface FactGroup extends Omit<OpeningCandidate, 'id' | 'zone'> {
  count: number;
}

/**
 * Counts the segment's targets by opening facts. A target counts as pending when it holds a
 * pending row or an earlier rollout of the campaign will still open its round.
 */
export async function segmentFacts(db: Db, campaignId: string, segment: Rollout['segment'], earlier: Rollout[], scope: RolloutScope): Promise<FactGroup[]> {
  return db.query<FactGroup>(sql`
    SELECT "hasPending", "hasPhone", "hasWhatsapp", listed, count(*)::int AS count
    FROM (
      SELECT t.has_pending OR ${awaitingSql(earlier)} AS "hasPending", t.phone IS NOT NULL AS "hasPhone",
             t.whatsapp IS NOT NULL AS "hasWhatsapp", ${scope.listEmpty ? sql`false` : listedSql(scope.organizationId)} AS listed
      FROM targets t WHERE t.campaign_id = ${campaignId}::uuid AND t.state = ${segment}::target_state
    ) f
    GROUP BY 1, 2, 3, 4`);
}
