import { channels, claimedSql, waitingSql, type Channel, type ChannelName, type DueRow } from '../../channels.js';
import { declareSelectedLock } from '../locks.js';
import { exists, join, sql, timestamps, type Db } from '../sql.js';

/**
 * The campaign's earliest waiting, unpromoted rows due before `until`, over every channel in
 * due order (so no channel starves behind another's backlog), locked for promotion (rows
 * another process promotes are skipped). Each channel's rows come from its partial index of
 * unpromoted waiting rows, read in due order.
 */
export async function lockDueWork(tx: Db, campaignId: string, until: Date, limit: number): Promise<DueRow[]> {
  declareSelectedLock(tx, 'rows', 'skips locked');
  const perChannel = await Promise.all(
    channels.map((channel) =>
      tx.query<DueRow>(sql`
        SELECT ${channel.name} AS channel, w.id, w.target_id, w.promotion, w.scheduled_for, t.timezone, ${channel.jobColumns}
        FROM ${channel.table} w JOIN targets t ON t.id = w.target_id
        WHERE w.campaign_id = ${campaignId}::uuid AND ${waitingSql(channel)} AND w.promoted_at IS NULL AND w.scheduled_for <= ${until}
        ORDER BY w.scheduled_for LIMIT ${limit}
        FOR UPDATE OF w SKIP LOCKED`),
    ),
  );
  return perChannel
    .flat()
    .sort((a, b) => a.scheduled_for.getTime() - b.scheduled_for.getTime())
    .slice(0, limit);
}

/** Jobs of the campaign that sit in Redis now: the hopper keeps this number bounded. */
export async function promotedCount(db: Db, campaignId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`
    SELECT (${join(
      channels.map((channel) => sql`(SELECT count(*) FROM ${channel.table} w WHERE w.campaign_id = ${campaignId}::uuid AND w.promoted_at IS NOT NULL)`),
      ' + ',
    )})::int AS n`);
  return row?.n ?? 0;
}

export interface Promotion {
  channel: ChannelName;
  id: string;
  dueAt: Date;
}

const byChannel = (rows: Promotion[], channel: Channel) => rows.filter((row) => row.channel === channel.name);

/** Records promotions (promotion + 1, due time as queued): one statement per channel. */
export async function markPromoted(tx: Db, rows: Promotion[], now: Date): Promise<void> {
  for (const channel of channels) {
    const mine = byChannel(rows, channel);
    if (mine.length === 0) continue;
    await tx.query(sql`
      UPDATE ${channel.table} w SET promoted_at = ${now}, promotion = w.promotion + 1, scheduled_for = x.due_at, updated_at = ${now}
      FROM unnest(${mine.map((row) => row.id)}::uuid[], ${timestamps(mine.map((row) => row.dueAt))}) AS x(id, due_at)
      WHERE w.id = x.id`);
  }
}

/** Rows whose due time moved (into the next window, or paced) beyond the horizon: they wait as rows. */
export async function reschedule(tx: Db, rows: Promotion[], now: Date): Promise<void> {
  for (const channel of channels) {
    const mine = byChannel(rows, channel);
    if (mine.length === 0) continue;
    await tx.query(sql`
      UPDATE ${channel.table} w SET scheduled_for = x.due_at, updated_at = ${now}
      FROM unnest(${mine.map((row) => row.id)}::uuid[], ${timestamps(mine.map((row) => row.dueAt))}) AS x(id, due_at)
      WHERE w.id = x.id`);
  }
}

/** Rows handed out before `before` whose report never came (each channel's partial index of claimed rows). */
export async function overdueClaims(db: Db, channel: Channel, before: Date, limit: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`
    SELECT w.id FROM ${channel.table} w WHERE ${claimedSql(channel)} AND w.${channel.claimedAt} < ${before}
    ORDER BY w.${channel.claimedAt} LIMIT ${limit}`);
  return rows.map((row) => row.id);
}

/** Running campaigns that have waiting rows due before `until` to promote. */
export async function campaignsWithDueWork(db: Db, until: Date): Promise<string[]> {
  const rows = await db.query<{ id: string }>(sql`
    SELECT k.id FROM campaigns k
    WHERE k.status = 'running' AND (${join(
      channels.map((channel) =>
        exists(
          sql`SELECT true FROM ${channel.table} w WHERE w.campaign_id = k.id AND ${waitingSql(channel)} AND w.promoted_at IS NULL AND w.scheduled_for <= ${until}`,
        ),
      ),
      ' OR ',
    )})
    ORDER BY k.id`);
  return rows.map((row) => row.id);
}
