import { channels, claimedSql, waitingSql, type Channel, type ChannelName, type DueRow } from '../../channels.js';
import { declareSelectedLock } from '../locks.js';
import { join, raw, sql, timestamps, type Db } from '../sql.js';

/** A due row and the campaign it belongs to. */
export type CampaignDueRow = DueRow & { campaign_id: string };

/** What `lockDueWork` read: the rows, and from which campaign on a channel's read was cut short. */
export interface DueWork {
  rows: CampaignDueRow[];
  /** Index in `budgets` of the first campaign that may have due rows left unread; null: none. */
  cutFrom: number | null;
}

/**
 * The campaigns' earliest waiting, unpromoted rows due before `until`, each campaign at most its
 * budget, over every channel in due order (so no channel starves behind another's backlog),
 * locked for promotion (rows another process promotes are skipped). Each channel reads the
 * campaigns in the given order, through its partial index of unpromoted waiting rows in due
 * order, and stops after `limit` rows: campaigns after the cut are read by a later batch.
 */
export async function lockDueWork(tx: Db, budgets: ReadonlyArray<{ campaignId: string; budget: number }>, until: Date, limit: number): Promise<DueWork> {
  declareSelectedLock(tx, 'rows', 'skips locked');
  if (budgets.length === 0) return { rows: [], cutFrom: null };
  const perChannel = await Promise.all(
    channels.map((channel) =>
      tx.query<CampaignDueRow & { ord: number }>(sql`
        SELECT c.ord::int AS ord, x.* FROM unnest(${budgets.map((entry) => entry.campaignId)}::uuid[], ${budgets.map((entry) => entry.budget)}::int[])
          WITH ORDINALITY AS c(campaign_id, budget, ord)
        CROSS JOIN LATERAL (
          SELECT ${channel.name}::text AS channel, w.campaign_id, w.id, w.target_id, w.promotion, w.scheduled_for, t.timezone, ${channel.jobColumns}
          FROM ${channel.table} w JOIN targets t ON t.id = w.target_id
          WHERE w.campaign_id = c.campaign_id AND ${waitingSql(channel)} AND w.promoted_at IS NULL AND w.scheduled_for <= ${until}
          ORDER BY w.scheduled_for LIMIT c.budget
          FOR UPDATE OF w SKIP LOCKED
        ) x
        LIMIT ${limit}`),
    ),
  );
  const cuts = perChannel.filter((rows) => rows.length === limit).map((rows) => rows[rows.length - 1]!.ord - 1);
  const rows: CampaignDueRow[] = [];
  budgets.forEach(({ campaignId, budget }) => {
    const mine = perChannel
      .flat()
      .filter((row) => row.campaign_id === campaignId)
      .sort((a, b) => a.scheduled_for.getTime() - b.scheduled_for.getTime())
      .slice(0, budget);
    for (const { ord: _ord, ...row } of mine) rows.push(row);
  });
  return { rows, cutFrom: cuts.length > 0 ? Math.min(...cuts) : null };
}

/** Jobs each campaign holds in Redis now, per channel: the hopper keeps their sum bounded. */
export async function promotedCounts(db: Db, campaignIds: readonly string[]): Promise<Map<string, Record<ChannelName, number>>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await db.query<Record<ChannelName, number> & { campaign_id: string }>(sql`
    SELECT c.id::text AS campaign_id, ${join(
      channels.map(
        (channel) => sql`(SELECT count(*) FROM ${channel.table} w WHERE w.campaign_id = c.id AND w.promoted_at IS NOT NULL)::int AS ${raw(channel.name)}`,
      ),
      ', ',
    )}
    FROM unnest(${campaignIds}::uuid[]) AS c(id)`);
  return new Map(
    rows.map((row) => [row.campaign_id, Object.fromEntries(channels.map((channel) => [channel.name, row[channel.name]])) as Record<ChannelName, number>]),
  );
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

/** A campaign whose wake-ups are due: the hopper looks at its waiting rows. */
export interface WokenCampaign {
  campaignId: string;
  /** Null when the campaign no longer exists. */
  organizationId: string | null;
  running: boolean;
  /** Limited to calls per minute: its batch writes its pacing on the campaign row, alone. */
  paced: boolean;
  /** The wake-ups read: removed once the campaign has nothing due left (never others, written since). */
  wakeups: string[];
}

/**
 * Campaigns with a wake-up due before `until` (src/db/migrations: the triggers that write them),
 * read through the index on due time: the pass costs what is due, not what is running.
 */
export async function wokenCampaigns(db: Db, until: Date): Promise<WokenCampaign[]> {
  return db.query<WokenCampaign>(sql`
    SELECT w.campaign_id AS "campaignId", k.organization_id AS "organizationId", coalesce(k.status = 'running', false) AS running,
           coalesce(k.max_calls_per_minute IS NOT NULL, false) AS paced,
           array_agg(w.id::text) AS wakeups
    FROM hopper_wakeups w LEFT JOIN campaigns k ON k.id = w.campaign_id
    WHERE w.due_at <= ${until}
    GROUP BY w.campaign_id, k.organization_id, k.status, k.max_calls_per_minute
    ORDER BY w.campaign_id`);
}

/**
 * Campaigns that hold jobs in Redis now, with their organization: a skip scan of each channel's
 * index of promoted rows (one probe per such campaign, whatever their number of jobs).
 */
export async function campaignsWithQueuedWork(db: Db): Promise<Array<{ campaignId: string; organizationId: string }>> {
  const perChannel = channels.map(
    (channel) => sql`
      (WITH RECURSIVE queued(campaign_id) AS (
        (SELECT w.campaign_id FROM ${channel.table} w WHERE w.promoted_at IS NOT NULL ORDER BY w.campaign_id LIMIT 1)
        UNION ALL
        SELECT (SELECT w.campaign_id FROM ${channel.table} w WHERE w.promoted_at IS NOT NULL AND w.campaign_id > q.campaign_id ORDER BY w.campaign_id LIMIT 1)
        FROM queued q WHERE q.campaign_id IS NOT NULL
      ) SELECT campaign_id FROM queued WHERE campaign_id IS NOT NULL)`,
  );
  return db.query(sql`
    SELECT k.id AS "campaignId", k.organization_id AS "organizationId"
    FROM campaigns k WHERE k.status = 'running' AND k.id IN (${join(perChannel, ' UNION ')})`);
}

/** Wake-ups handled: their campaign has nothing due left, or does not run. */
export async function dropWakeups(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(sql`DELETE FROM hopper_wakeups WHERE id = ANY(${ids}::bigint[])`);
}

/** Wakes the hopper for a campaign whose waiting rows became promotable without changing (a resume). */
export async function wakeCampaign(db: Db, campaignId: string, at: Date): Promise<void> {
  await wakeCampaigns(db, [{ campaignId, at }]);
}

/** Wake-ups for campaigns whose next work is due at `at` (the hopper re-arms what it leaves for later). */
export async function wakeCampaigns(db: Db, wakeups: ReadonlyArray<{ campaignId: string; at: Date }>): Promise<void> {
  if (wakeups.length === 0) return;
  await db.query(sql`
    INSERT INTO hopper_wakeups (campaign_id, due_at)
    SELECT * FROM unnest(${wakeups.map((wakeup) => wakeup.campaignId)}::uuid[], ${timestamps(wakeups.map((wakeup) => wakeup.at))})`);
}

/**
 * When each campaign's earliest waiting, unpromoted row is due (locked by others or not);
 * campaigns without one are absent. One index probe per campaign and channel.
 */
export async function nextDueTimes(db: Db, campaignIds: readonly string[]): Promise<Map<string, Date>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await db.query<{ id: string; due_at: Date | null }>(sql`
    SELECT c.id::text AS id, least(${join(
      channels.map(
        (channel) =>
          sql`(SELECT w.scheduled_for FROM ${channel.table} w WHERE w.campaign_id = c.id AND ${waitingSql(channel)} AND w.promoted_at IS NULL ORDER BY w.scheduled_for LIMIT 1)`,
      ),
      ', ',
    )}) AS due_at
    FROM unnest(${campaignIds}::uuid[]) AS c(id)`);
  return new Map(rows.flatMap((row) => (row.due_at ? [[row.id, row.due_at] as const] : [])));
}
