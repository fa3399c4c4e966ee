import { channelNamed, statusLiteral, waitingSql, type ChannelName } from '../../channels.js';
import { empty, sql, type Db } from '../sql.js';

/** What the dispatch guard reads of a call or message, under the row's lock (`lockWork`, src/db/locks.ts). */
export interface WorkSnapshotRow {
  id: string;
  campaignId: string;
  organizationId: string;
  targetId: string;
  status: string;
  promotion: number;
  promoted: boolean;
  dueAt: Date;
  zone: string;
  /** The target's number (calls are dialed to it; the contact caps count it). */
  phone: string | null;
  listed: boolean;
}

/** Calls of the campaign being dialed now (the partial index of dialing calls is per instant, this one per campaign). */
export async function activeCalls(db: Db, campaignId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM calls WHERE campaign_id = ${campaignId}::uuid AND status = ${statusLiteral('dialing')}`);
  return row?.n ?? 0;
}

/** Calls being dialed now across the organization's running campaigns. */
export async function organizationActiveCalls(db: Db, organizationId: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM campaigns k JOIN calls w ON w.campaign_id = k.id AND w.status = ${statusLiteral('dialing')}
    WHERE k.organization_id = ${organizationId}::uuid AND k.status = 'running'`);
  return row?.n ?? 0;
}

export async function organizationLimits(db: Db, organizationIds: string[]): Promise<Map<string, number | null>> {
  const rows = await db.query<{ id: string; limit: number | null }>(sql`
    SELECT id, max_concurrent_calls AS limit FROM organizations WHERE id = ANY(${organizationIds}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row.limit]));
}

/** Handed-out rows become claimed (a call `dialing`, a message `sending`), stamped now. */
export async function markClaimed(tx: Db, channel: ChannelName, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  const descriptor = channelNamed(channel);
  // The claim time is its own column (calls) or the row's update time (messages).
  await tx.query(sql`
    UPDATE ${descriptor.table} w SET status = ${statusLiteral(descriptor.claimed)}, ${descriptor.claimedAt} = ${now}
      ${descriptor.claimedAt.text === 'updated_at' ? empty : sql`, updated_at = ${now}`}
      ${channel === 'call' ? sql`, hold_reason = NULL` : empty}
    WHERE w.id = ANY(${ids}::uuid[]) AND ${waitingSql(descriptor)}`);
}

/**
 * Held rows go back to the hopper (unpromoted), due at their new time when one is given; a call
 * keeps why it was held (the stats count the calls held by contact caps).
 */
export async function holdWork(tx: Db, channel: ChannelName, rows: Array<{ id: string; until: Date | null; reason: string }>, now: Date): Promise<void> {
  if (rows.length === 0) return;
  const descriptor = channelNamed(channel);
  await tx.query(sql`
    UPDATE ${descriptor.table} w SET promoted_at = NULL, scheduled_for = coalesce(x.until, w.scheduled_for), updated_at = ${now}
      ${channel === 'call' ? sql`, hold_reason = x.reason` : empty}
    FROM unnest(${rows.map((row) => row.id)}::uuid[], ${rows.map((row) => row.until?.toISOString() ?? null)}::timestamptz[], ${rows.map((row) => row.reason)}::text[])
      AS x(id, until, reason)
    WHERE w.id = x.id AND ${waitingSql(descriptor)}`);
}

/** Rows refused at dispatch because their target is on the do-not-contact list. */
export async function cancelWork(tx: Db, channel: ChannelName, ids: string[], reason: string, now: Date): Promise<void> {
  if (ids.length === 0) return;
  const descriptor = channelNamed(channel);
  await tx.query(sql`
    UPDATE ${descriptor.table} w SET status = ${statusLiteral(descriptor.canceled)}, cancel_reason = ${reason}, promoted_at = NULL, updated_at = ${now}
    WHERE w.id = ANY(${ids}::uuid[]) AND ${waitingSql(descriptor)}`);
}
