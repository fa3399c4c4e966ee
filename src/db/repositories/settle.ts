import { empty, exists, sql, type Db } from '../sql.js';

const SETTLE_SWEEP = 'settle';

/**
 * Running campaigns with no work left (no target holds pending work, no rollout still opens
 * rounds) among those changed from `from` (null: since ever) to `until`: a target of theirs
 * went idle, or a rollout of theirs finished. A campaign runs out of work only through such a
 * change, and the transaction that makes it records when (`targets.idle_since`,
 * `rollouts.finished_at`). Reads the partial index of idle targets and the index of finished
 * rollouts over the span, then probes each changed campaign: its row by key, its pending targets
 * and active rollouts through their partial indexes. Campaigns that did not change are not read.
 */
export async function workflessCampaignsChanged(db: Db, from: Date | null, until: Date): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`
    WITH changed AS MATERIALIZED (
      SELECT t.campaign_id AS id FROM targets t
      WHERE NOT t.has_pending AND t.idle_since IS NOT NULL AND t.idle_since <= ${until} ${from ? sql`AND t.idle_since >= ${from}` : empty}
      UNION
      SELECT r.campaign_id FROM rollouts r
      WHERE r.finished_at <= ${until} ${from ? sql`AND r.finished_at >= ${from}` : empty}
    )
    SELECT c.id FROM changed c
    WHERE (SELECT k.status FROM campaigns k WHERE k.id = c.id) = 'running'
      AND NOT ${exists(sql`SELECT true FROM targets t WHERE t.campaign_id = c.id AND t.has_pending`)}
      AND NOT ${exists(sql`SELECT true FROM rollouts r WHERE r.campaign_id = c.id AND r.finished_at IS NULL`)}
    ORDER BY c.id`);
  return rows.map((row) => row.id);
}

/** Up to when the settle sweep has checked the changes; null if it never has. */
export async function settleSweptUntil(db: Db): Promise<Date | null> {
  const [row] = await db.query<{ until: Date }>(sql`SELECT swept_until AS until FROM sweep_marks WHERE name = ${SETTLE_SWEEP}`);
  return row?.until ?? null;
}

/** Records that the changes up to `until` were checked; the mark never moves back (sweeps may overlap). */
export async function recordSettleSwept(db: Db, until: Date): Promise<void> {
  await db.query(sql`
    INSERT INTO sweep_marks (name, swept_until) VALUES (${SETTLE_SWEEP}, ${until})
    ON CONFLICT (name) DO UPDATE SET swept_until = greatest(sweep_marks.swept_until, excluded.swept_until)`);
}
