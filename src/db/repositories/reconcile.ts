import { waitingSql, type Channel } from '../../channels.js';
import { declareLock } from '../locks.js';
import { empty, sql, type Db, type Sql } from '../sql.js';

/** A promoted row still waiting for its job: where a walk over them stands, and whether its campaign runs. */
export interface PromotedRow {
  id: string;
  promotion: number;
  promotedAt: Date;
  running: boolean;
}

export type PromotedKey = Pick<PromotedRow, 'id' | 'promotedAt'>;

/**
 * The next `limit` promoted, still waiting rows promoted before `before`, after `after` in
 * (promoted_at, id) order, across campaigns: a pass reads the rows that sit in Redis, and nothing
 * of the campaigns that have none. `running` says whether the row's campaign runs (a pause takes
 * its rows' promotions back and a complete cancels them, so a row of another campaign is one a
 * race left; the caller skips it).
 *
 * Each row is the next entry of the channel's partial index of promoted waiting rows after the
 * previous one (one index descent, LIMIT 1), so the walk reads the index in order whatever the
 * planner knows: on tables never analyzed it would otherwise read every promoted row and sort
 * them, for every batch.
 */
export async function promotedWaiting(db: Db, channel: Channel, before: Date, after: PromotedKey | null, limit: number): Promise<PromotedRow[]> {
  const next = (key: Sql) => sql`
    SELECT w.promoted_at, w.id, w.promotion, w.campaign_id FROM ${channel.table} w
    WHERE ${waitingSql(channel)} AND w.promoted_at IS NOT NULL AND w.promoted_at < ${before} ${key}
    ORDER BY w.promoted_at, w.id LIMIT 1`;
  return db.query(sql`
    WITH RECURSIVE walk AS (
      (${next(after ? sql`AND (w.promoted_at, w.id) > (${after.promotedAt}::timestamptz, ${after.id}::uuid)` : empty)})
      UNION ALL
      SELECT n.* FROM walk p CROSS JOIN LATERAL (${next(sql`AND (w.promoted_at, w.id) > (p.promoted_at, p.id)`)}) n
    )
    SELECT walk.id, walk.promotion, walk.promoted_at AS "promotedAt",
           coalesce((SELECT k.status = 'running' FROM campaigns k WHERE k.id = walk.campaign_id), false) AS running
    FROM walk LIMIT ${limit}`);
}

/**
 * Gives rows whose job Redis lost back to the hopper, which promotes them again under a new
 * promotion number; a row promoted or handed out meanwhile (another promotion, no longer
 * waiting) is left alone. The rows are locked in id order, as the dispatch guard locks them
 * (src/db/locks.ts `lockWork`), so the two never wait for each other in a circle. Returns how
 * many were given back. The rows are found by key: `promoted_at IS NOT NULL` is checked on the
 * locked row only, as with it the planner may take the index of promoted waiting rows, whose
 * second column is the id, and read all of it once per row.
 */
export async function unpromoteLost(db: Db, channel: Channel, rows: Array<{ id: string; promotion: number }>, now: Date): Promise<number> {
  if (rows.length === 0) return 0;
  return db.transaction(async (tx) => {
    declareLock(
      tx,
      'rows',
      rows.map((row) => row.id),
    );
    const updated = await tx.query(sql`
      UPDATE ${channel.table} u SET promoted_at = NULL, updated_at = ${now}
      FROM (
        SELECT w.id FROM ${channel.table} w
        JOIN unnest(${rows.map((row) => row.id)}::uuid[], ${rows.map((row) => row.promotion)}::int[]) AS x(id, promotion)
          ON w.id = x.id AND w.promotion = x.promotion
        WHERE ${waitingSql(channel)}
        ORDER BY w.id
        FOR UPDATE OF w
      ) lost
      WHERE u.id = lost.id AND u.promoted_at IS NOT NULL
      RETURNING u.id`);
    return updated.length;
  });
}
