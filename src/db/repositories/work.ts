import { channelNamed, channels, pendingSql, statusLiteral, waitingSql, type ChannelName } from '../../channels.js';
import { exists, join, sql, uuids, type Db, type Sql } from '../sql.js';

/** A job that sits (or may sit) in Redis for a row: enough to derive its job id. */
export interface PromotedWork {
  channel: ChannelName;
  id: string;
  promotion: number;
}

type Scope = { targets: string[] } | { campaign: string };

/**
 * The rows of the scope. A batch of targets has its rows gathered target by target through the
 * index on target_id, as an aggregate per target that the planner cannot flatten into a join:
 * over tables without statistics, a plain `target_id = ANY(…)` is planned as a scan of every row.
 */
const scopeSql = (scope: Scope, table: Sql): Sql =>
  'campaign' in scope
    ? sql`w.campaign_id = ${scope.campaign}::uuid`
    : sql`w.id = ANY(ARRAY(
        SELECT x.id FROM unnest(${scope.targets}::uuid[]) AS s(target_id)
        CROSS JOIN LATERAL (SELECT array_agg(c.id) AS ids FROM ${table} c WHERE c.target_id = s.target_id) mine
        CROSS JOIN LATERAL unnest(mine.ids) AS x(id)))`;

/**
 * Cancels waiting calls and messages (a round ended, the target is listed, the campaign is
 * complete); a call already dialing finishes. Returns the rows that may have a job in Redis.
 */
export async function cancelWaiting(tx: Db, scope: Scope, reason: string, now: Date): Promise<PromotedWork[]> {
  if ('targets' in scope && scope.targets.length === 0) return [];
  const withdrawn: PromotedWork[] = [];
  for (const channel of channels) {
    const rows = await tx.query<{ id: string; promotion: number; promoted: boolean }>(sql`
      UPDATE ${channel.table} w SET status = ${statusLiteral(channel.canceled)}, cancel_reason = ${reason}, promoted_at = NULL, updated_at = ${now}
      WHERE ${scopeSql(scope, channel.table)} AND ${waitingSql(channel)}
      RETURNING w.id, w.promotion, w.promotion > 0 AS promoted`);
    withdrawn.push(...rows.filter((row) => row.promoted).map((row) => ({ channel: channel.name, id: row.id, promotion: row.promotion })));
  }
  return withdrawn;
}

/** Pause: promoted rows go back to plain waiting rows; their jobs are withdrawn after commit. */
export async function unpromoteCampaign(tx: Db, campaignId: string, now: Date): Promise<PromotedWork[]> {
  const withdrawn: PromotedWork[] = [];
  for (const channel of channels) {
    const rows = await tx.query<{ id: string; promotion: number }>(sql`
      UPDATE ${channel.table} w SET promoted_at = NULL, updated_at = ${now}
      WHERE w.campaign_id = ${campaignId}::uuid AND w.promoted_at IS NOT NULL AND ${waitingSql(channel)}
      RETURNING w.id, w.promotion`);
    withdrawn.push(...rows.map((row) => ({ channel: channel.name, ...row })));
  }
  return withdrawn;
}

/** Whether the target (alias `t`) holds a pending row on any channel: probes of its own rows only. */
function holdsPendingSql(): Sql {
  return join(
    channels.map((channel) => exists(sql`SELECT true FROM ${channel.table} w WHERE w.target_id = t.id AND ${pendingSql(channel)}`)),
    ' OR ',
  );
}

/**
 * Brings the targets' `has_pending` up to date after their rows changed; a target whose work
 * just ran out is idle from `now`. Returns the targets that went idle (their round ended) and
 * their campaigns (they may have no work left).
 */
export async function refreshPending(tx: Db, targetIds: string[], now: Date): Promise<{ idleTargets: string[]; idleCampaigns: string[] }> {
  if (targetIds.length === 0) return { idleTargets: [], idleCampaigns: [] };
  // Only targets whose flag is wrong are written, so the new value is the flag's negation.
  const rows = await tx.query<{ id: string; campaign_id: string }>(sql`
    WITH changed AS (
      UPDATE targets t SET has_pending = NOT t.has_pending, idle_since = CASE WHEN t.has_pending THEN ${now}::timestamptz ELSE t.idle_since END
      WHERE t.id = ANY(${targetIds}::uuid[]) AND t.has_pending IS DISTINCT FROM (${holdsPendingSql()})
      RETURNING t.id, t.campaign_id, t.has_pending
    )
    SELECT id, campaign_id FROM changed WHERE NOT has_pending`);
  return { idleTargets: rows.map((row) => row.id), idleCampaigns: [...new Set(rows.map((row) => row.campaign_id))] };
}

/** After a campaign-wide cancel: its pending targets keep the flag only for calls still dialing. */
export async function refreshCampaignPending(tx: Db, campaignId: string, now: Date): Promise<void> {
  await tx.query(sql`
    UPDATE targets t SET has_pending = false, idle_since = ${now}
    WHERE t.campaign_id = ${campaignId}::uuid AND t.has_pending AND NOT (${holdsPendingSql()})`);
}

/** The campaigns among `campaignIds` in which some target holds pending work (the partial index of pending targets, probed per campaign). */
export async function campaignsWithPending(db: Db, campaignIds: readonly string[]): Promise<Set<string>> {
  if (campaignIds.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(sql`
    SELECT k.id FROM unnest(${uuids(campaignIds)}) AS k(id)
    WHERE ${exists(sql`SELECT true FROM targets t WHERE t.campaign_id = k.id AND t.has_pending`)}`);
  return new Set(rows.map((row) => row.id));
}

/** Where a call or message belongs. */
export interface WorkOwner {
  id: string;
  campaignId: string;
  targetId: string;
  organizationId: string;
}

/** Campaign, target and organization of each row, read without locks (to lock in a fixed order). */
export async function workOwners(db: Db, channel: ChannelName, ids: string[]): Promise<Map<string, WorkOwner>> {
  const { table } = channelNamed(channel);
  const rows = await db.query<WorkOwner>(sql`
    SELECT w.id, w.campaign_id AS "campaignId", w.target_id AS "targetId", k.organization_id AS "organizationId"
    FROM ${table} w JOIN campaigns k ON k.id = w.campaign_id WHERE w.id = ANY(${ids}::uuid[])`);
  return new Map(rows.map((row) => [row.id, row]));
}
