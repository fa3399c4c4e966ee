import { waitingSql, type Channel } from '../../channels.js';
import { sql, type Db } from '../sql.js';

/** The campaign's promoted, still waiting rows promoted before `before` (at most the campaign's Redis budget). */
export async function promotedWaiting(db: Db, channel: Channel, campaignId: string, before: Date): Promise<Array<{ id: string; promotion: number }>> {
  return db.query(sql`
    SELECT w.id, w.promotion FROM ${channel.table} w
    WHERE w.campaign_id = ${campaignId}::uuid AND w.promoted_at IS NOT NULL AND w.promoted_at < ${before} AND ${waitingSql(channel)}`);
}

/**
 * Gives rows whose job Redis lost back to the hopper, which promotes them again under a new
 * promotion number; a row promoted or handed out meanwhile (another promotion, no longer
 * waiting) is left alone. Returns how many were given back.
 */
export async function unpromoteLost(db: Db, channel: Channel, rows: Array<{ id: string; promotion: number }>, now: Date): Promise<number> {
  if (rows.length === 0) return 0;
  const updated = await db.query(sql`
    UPDATE ${channel.table} w SET promoted_at = NULL, updated_at = ${now}
    FROM unnest(${rows.map((row) => row.id)}::uuid[], ${rows.map((row) => row.promotion)}::int[]) AS x(id, promotion)
    WHERE w.id = x.id AND w.promotion = x.promotion AND w.promoted_at IS NOT NULL AND ${waitingSql(channel)}
    RETURNING w.id`);
  return updated.length;
}
